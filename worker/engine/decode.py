"""Greedy decoding of many prompts through one KV-cached loop, and the reference NLLs read from the same cache.

Decoding a 135M model is bound by the number of steps, each of which reads every weight, more than by the batch's
arithmetic, so prompts decode together in large batches. An item of a judged suite is both generated and
reference-scored: its reference answer is teacher-forced from the KV cache the decode's prefill fills with its
prompt (scoring.continued_scores()), so the prompt is read once for both (docs/real-model.md, "Evaluating on
the CPU").
"""

from __future__ import annotations

import torch

from .encoding import prompt_ids
from .kv_cache import SHARED_PREFIX_MIN, decode_cache, shared_prefix
from .scoring import continued_scores, in_order

# The fewest new tokens any judged answer gets. Measured on the SmolLM2 base (docs/real-model.md): past
# 64 tokens its pass rate rose by at most 0.02 on knowledge and reasoning, whose answers it words at length.
BUDGET_FLOOR = 64


def budget(longest: int) -> int:
    """New tokens a judged name may generate: twice its longest reference (end token included, in the
    tier's tokens), and at least BUDGET_FLOOR. A correct answer worded twice as long as the reference
    still ends inside it, so the budget does not decide the score; a rambling one is cut, and the cut
    share is reported (evaluate_judged's `truncated`)."""
    return max(BUDGET_FLOOR, 2 * longest)


# Prompts decoded together. A decode step reads every
# weight whatever the batch, so more rows make each row's token cheaper; 128 rows of 250 positions keep about 1.5 GB of
# SmolLM2 keys and values.
DECODE_ROWS = 128

# Rows that ended leave their batch once they are a LEAVE_SHARE-th of it, not one by one: taking rows out copies the
# whole KV cache, and until then an ended row costs one more row of each step, whose token is not kept.
LEAVE_SHARE = 4


def greedy(model, tokenizer, prompts: list[str], max_new_tokens: int = 16, limits: list[int] | None = None) -> list[str]:
    """Greedy decodes in one left-padded batch (the attention mask keeps pads out of every prompt).
    `limits` cuts each answer at its own number of new tokens: the same text a shorter decode would give."""
    return [text for text, _ in greedy_rows(model, tokenizer, prompts, max_new_tokens, limits)]


def greedy_rows(model, tokenizer, prompts: list[str], max_new_tokens: int = 16,
                limits: list[int] | None = None) -> list[tuple[str, bool]]:
    """greedy() with, per answer, whether its budget cut it (no end-of-sequence within the budget)."""
    limits = [min(limit, max_new_tokens) for limit in limits] if limits else [max_new_tokens] * len(prompts)
    return greedy_scored(model, tokenizer, prompts, limits)[0]


@torch.inference_mode()
def greedy_scored(model, tokenizer, prompts: list[str], limits: list[int],
                  references: list[list[int]] | None = None, routing=None,
                  members: list[int] | None = None) -> tuple[list[tuple[str, bool]], tuple | None]:
    """Each prompt's greedy answer to its own limit of new tokens, as (text, cut), and with `references` (each
    prompt's reference answer tokens, end token included) score(parts=True)'s columns of those references,
    teacher-forced from the decode's own KV cache of the prompts (None without).

    A group's decode (worker/engine/grouped_eval.py) gives `members`, each prompt's member, and the group's
    `routing`: every forward's rows go through their own member's adapters. A batch then holds the same prompts
    for each of its members, one block of rows per member, so that the blocks stack into one matmul.

    Prompts are decoded in batches of DECODE_ROWS of one limit and similar length (sorted by both, so a batch's
    left padding is small), each step feeding only the newest token through the KV cache; a row ends at its
    end-of-sequence token or its own limit, and ended rows leave the batch a quarter at a time (LEAVE_SHARE), so
    few steps compute an answer that is already over. The texts are those of one left-padded batch decoding to
    the longest limit and cutting each answer at its own (tests/worker/engine/test_scoring_speed.py compares
    them)."""
    was_training = model.training
    model.eval()
    encoded = prompt_ids(tokenizer, prompts)
    # Batches of one limit decode no more steps than it allows, and prompts of one length pad little. A row with
    # nothing to generate is still decoded where its reference is scored: its text is cut to nothing below.
    # A group's copies of one prompt sort together, and its batches take as many copies of each prompt.
    order = sorted((i for i in range(len(prompts)) if limits[i] > 0 or references),
                   key=lambda i: (limits[i], len(encoded[i])) + ((prompts[i],) if members else ()))
    copies = len(set(members)) if members else 1
    size = max(copies, DECODE_ROWS - DECODE_ROWS % copies)
    tokens: list[list[int]] = [[] for _ in prompts]
    pieces = []
    for lo in range(0, len(order), size):
        rows = order[lo: lo + size]
        if members:
            rows.sort(key=members.__getitem__)  # one block per member, each in the order above (a stable sort)
            order[lo: lo + size] = rows
        answers, scored = _decode(model, tokenizer, [encoded[i] for i in rows], [max(1, limits[i]) for i in rows],
                                  [references[i] for i in rows] if references else None,
                                  Route(routing, [members[i] for i in rows]) if members else None)
        for i, answer in zip(rows, answers):
            tokens[i] = answer[: limits[i]]
        pieces.append(scored)
    model.train(was_training)
    eos = tokenizer.eos_token_id
    out = []
    for row in tokens:
        cut = eos not in row
        row = row if cut else row[: row.index(eos)]
        out.append((tokenizer.decode(row, skip_special_tokens=True).strip(), cut))
    return out, in_order(pieces, order) if references else None


class Route:
    """A group's batch (greedy_scored()): its rows' members, and the group's routing that each forward points at
    them."""

    def __init__(self, routing, members: list[int]):
        self.routing, self.members = routing, members

    def rows(self, rows: list[int]) -> None:
        """Route the next forward, whose rows are these of the batch, in order."""
        self.routing.route([self.members[i] for i in rows])


def _decode(model, tokenizer, encoded: list[list[int]], limits: list[int],
            references: list[list[int]] | None = None,
            route: Route | None = None) -> tuple[list[list[int]], tuple | None]:
    """Greedy new tokens of each prompt (left-padded into one batch), up to its limit or its end-of-sequence
    token, which is kept; and with `references`, their score(parts=True) columns read from the prefill's cache.
    With `route` (a group's batch), every forward's rows go through their own members' adapters.

    The tokens every prompt opens with (a chat template's system turn) are read once, as score() reads them, and
    every row continues from their KV cache, its padding after them instead of before; under the attention mask,
    positions counting real tokens only, each real token sees what it saw in the plain left-padded batch. Shared
    only when every row opens with them, keeps a token after them and there are SHARED_PREFIX_MIN or more. Rule,
    written before measuring: the plain batch's texts, token for token (tests/worker/engine/test_scoring_speed.py)."""
    device, eos = model.device, tokenizer.eos_token_id
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
    cache = decode_cache(model, max(map(len, encoded)) + max(limits))
    most = max(0, min(map(len, encoded)) - 1)  # every row keeps its last prompt token: it gives the first new one
    shared = shared_prefix(torch.tensor([e[:most] for e in encoded]), most)
    if shared >= SHARED_PREFIX_MIN:
        # Read once, or in a group once per member (through its adapters); then one copy per row.
        heads = list(dict.fromkeys(route.members)) if route else [None]
        if route:
            route.routing.route(heads)
        model(input_ids=torch.tensor([encoded[0][:shared]] * len(heads), device=device), cache=cache,
              use_cache=True, logits_to_keep=1)
        copies = [heads.index(m) for m in route.members] if route else [0] * len(encoded)
        cache.batch_select_indices(torch.tensor(copies, device=device))
    else:
        shared = 0
    rest = [e[shared:] for e in encoded]
    width = max(map(len, rest))
    ids = torch.tensor([[pad] * (width - len(r)) + r for r in rest], device=device)
    mask = torch.tensor([[1] * shared + [0] * (width - len(r)) + [1] * len(r) for r in rest], device=device)
    # Positions count real tokens only, as generate() numbers a left-padded row (a pad's own is never read).
    positions = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)[:, shared:]
    if route:
        route.rows(list(range(len(encoded))))
    logits = model(input_ids=ids, attention_mask=mask, position_ids=positions, cache=cache,
                   use_cache=True, logits_to_keep=1).logits
    last = positions[:, -1]
    # The cache now holds every prompt: the references continue from a copy of it, and the decode from it.
    scored = continued_scores(model, cache, mask, last, ids[:, -1], references, route) if references else None
    answers: list[list[int]] = [[] for _ in encoded]
    live = torch.arange(len(encoded), device=device)  # the prompts of the batch's rows
    going = torch.ones(len(encoded), dtype=torch.bool, device=device)  # rows still decoding
    left = torch.tensor(limits, device=device)  # new tokens each row may still take
    while True:
        token = logits[:, -1].argmax(-1)
        for row, t, on in zip(live.tolist(), token.tolist(), going.tolist()):
            if on:
                answers[row].append(t)
        left = left - 1
        going = going & (token != eos) & (left > 0)
        ended = len(going) - int(going.sum())
        if ended == len(going):
            return answers, scored
        if ended * LEAVE_SHARE >= len(going):  # rows that ended leave the batch, and their cache with them
            keep = going.nonzero().squeeze(-1)
            live, left, token, going = live[keep], left[keep], token[keep], going[keep]
            mask, last = mask[keep], last[keep]
            cache.batch_select_indices(keep)
        mask = torch.cat([mask, mask.new_ones(len(live), 1)], -1)
        last = last + 1
        if route:
            route.rows(live.tolist())
        logits = model(input_ids=token.unsqueeze(-1), attention_mask=mask, position_ids=last.unsqueeze(-1),
                       cache=cache, use_cache=True).logits
