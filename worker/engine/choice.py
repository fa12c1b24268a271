"""Multiple-choice items scored by likelihood: no generation; each context read once, its options from its KV cache.

An item (a probe whose check is {"type": "choice", "options": [...], "reference": the right option}) passes when its
right option has the highest summed log-likelihood as the assistant's answer to its prompt: the sum of
the option's token log-probabilities, not divided by its length (lm-evaluation-harness's `acc`).

Tokens are split the way lm-evaluation-harness splits a context and a continuation, so that
`forgetlab suites export --lm-eval` gives the same accuracy there (tests/worker/test_lm_eval_export.py):
the context is the prompt as the model reads it (through the chat template, the assistant's turn opened),
the whole text context + option is tokenized at once, and the option's tokens are what follows the
context's. A context's trailing whitespace moves to the continuation, so the newline that opens the
assistant's turn is scored with every option (the same token each time). No end-of-turn token is
scored: the option, not where the answer stops, is being chosen.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from forgetlab.core.lm_eval_export import is_choice  # noqa: F401  (re-exported for evaluate.py)

from transformers import DynamicCache

from .encoding import IGNORE, Batch, is_chat
from .kv_cache import kv_rows, shared_prefix


def context_text(tokenizer, prompt: str) -> str:
    """The prompt as the model reads it, as text: chat-formatted with the assistant's turn opened (what
    lm-evaluation-harness's --apply_chat_template builds), or the bare prompt."""
    if is_chat(tokenizer):
        return tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                             add_generation_prompt=True)
    return prompt


def split_tokens(tokenizer, context: str, continuation: str) -> tuple[list[int], list[int]]:
    """(context ids, continuation ids) as lm-evaluation-harness splits them: tokenize the whole text,
    and the continuation is what follows the context's own tokens. Trailing spaces of the context move
    to the continuation."""
    spaces = len(context) - len(context.rstrip())
    if spaces:
        context, continuation = context[:-spaces], context[-spaces:] + continuation
    whole = tokenizer(context + continuation)["input_ids"]
    head = tokenizer(context)["input_ids"]
    return head, whole[len(head):]


def right_option(check: dict) -> int:
    """The index of an item's right option: the option equal to its reference."""
    return check["options"].index(check["reference"])


@dataclass
class ChoiceBatch:
    """Every option of every item, one row each (right-padded; labels mark the option's tokens)."""

    batch: Batch
    counts: list[int]  # options per item (an engineer's suite may vary it)
    answers: list[int]  # index of each item's right option

    def __len__(self) -> int:
        return len(self.answers)

    def to(self, device) -> "ChoiceBatch":
        return ChoiceBatch(self.batch.to(device), self.counts, self.answers)


def encode_choices(tokenizer, probes: list) -> ChoiceBatch:
    # A word-level vocabulary joins words with spaces (lm-evaluation-harness's default delimiter); a chat
    # model's answer starts its own turn.
    lead = "" if is_chat(tokenizer) else " "
    rows = []
    for p in probes:
        context = context_text(tokenizer, p.prompt)
        rows += [split_tokens(tokenizer, context, lead + option) for option in p.check["options"]]
    if any(not o for _, o in rows):
        raise ValueError("an option has no tokens of its own")
    length = max(len(c) + len(o) for c, o in rows)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    ids = torch.full((len(rows), length), pad, dtype=torch.long)
    labels = torch.full((len(rows), length), IGNORE, dtype=torch.long)
    for i, (c, o) in enumerate(rows):
        ids[i, : len(c) + len(o)] = torch.tensor(c + o)
        labels[i, len(c): len(c) + len(o)] = torch.tensor(o)
    starts = torch.tensor([len(c) for c, _ in rows])
    return ChoiceBatch(Batch(ids, labels, starts), [len(p.check["options"]) for p in probes],
                       [right_option(p.check) for p in probes])


ITEMS_PER_FORWARD = 16  # items whose contexts go through one forward (their options: four times as many rows)


@torch.inference_mode()
def option_logliks(model, choices: ChoiceBatch) -> list[torch.Tensor]:
    """Per item, the summed log-likelihood of each of its options, reading every context once.

    The token prefix that every item's context shares (the chat template's system turn) is run once; each item's
    remaining context once, in a batch of items of the same context length (no padding, so each is as if alone);
    then its options continue from that context's KV cache, one row each, right-padded (under a causal mask a pad
    after a token never changes it). Logits are projected onto the vocabulary only at the context's last position
    (it predicts every option's first token) and at the options' own positions. The same sums as one forward over
    each whole context + option row, to float rounding (tests/worker/engine/test_scoring_speed.py)."""
    batch = choices.batch
    firsts = torch.tensor([0] + choices.counts[:-1]).cumsum(0).tolist()  # each item's first row
    contexts = [batch.input_ids[r, : int(batch.answer_start[r])].tolist() for r in firsts]
    options = [batch.labels[r][batch.labels[r] != IGNORE].tolist() for r in range(len(batch))]
    # Every context keeps one token of its own: its last position predicts its options' first token.
    shared = shared_prefix(batch.input_ids[firsts], min(map(len, contexts)) - 1)
    device = model.device
    prefix = DynamicCache() if shared else None  # filled in place by the forward
    if shared:
        model(input_ids=torch.tensor([contexts[0][:shared]], device=device), cache=prefix, use_cache=True,
              logits_to_keep=1)
    scores = torch.zeros(len(batch))
    by_length: dict[int, list[int]] = {}
    for i, c in enumerate(contexts):
        by_length.setdefault(len(c), []).append(i)
    for length in sorted(by_length):
        same = by_length[length]
        for lo in range(0, len(same), ITEMS_PER_FORWARD):
            items = same[lo: lo + ITEMS_PER_FORWARD]
            rows = [firsts[i] + k for i in items for k in range(choices.counts[i])]
            scores[rows] = _item_scores(model, [contexts[i][shared:] for i in items], [options[r] for r in rows],
                                        [choices.counts[i] for i in items], prefix)
    return list(scores.split(choices.counts))


def _item_scores(model, contexts: list[list[int]], options: list[list[int]], counts: list[int], prefix) -> torch.Tensor:
    """Summed log-likelihoods of `options` (each item's `counts` of them, in order), each after its item's context
    (all of one length), which continues `prefix` (a KV cache of one row, or None)."""
    device = model.device
    n = len(contexts)
    cache = kv_rows(prefix, torch.zeros(n, dtype=torch.long, device=device)) if prefix is not None else DynamicCache()
    out = model(input_ids=torch.tensor(contexts, device=device), cache=cache, use_cache=True, logits_to_keep=1)
    item_of_row = torch.repeat_interleave(torch.arange(n), torch.tensor(counts))
    opening = F.log_softmax(out.logits[:, -1].float(), -1)  # predicts each option's first token
    total = opening[item_of_row.to(device), torch.tensor([o[0] for o in options], device=device)].cpu()
    width = max(len(o) for o in options) - 1  # an option's last token predicts nothing that is scored
    if width == 0:
        return total
    pad = options[0][0]  # any token: what follows a row's own tokens is never read
    ids = torch.tensor([o[:-1] + [pad] * (width - len(o) + 1) for o in options], device=device)
    targets = torch.tensor([o[1:] + [IGNORE] * (width - len(o) + 1) for o in options], device=device)
    logits = model(input_ids=ids, cache=kv_rows(cache, item_of_row.to(device)), use_cache=True).logits
    mask = targets != IGNORE
    logprobs = F.log_softmax(logits[mask].float(), -1)  # the scored positions only
    picked = logprobs.gather(-1, targets[mask].unsqueeze(-1)).squeeze(-1)
    row_of = torch.arange(len(options), device=device).unsqueeze(1).expand_as(mask)[mask]
    return total + torch.zeros(len(options), device=device).index_add(0, row_of, picked).cpu()


def choose(model, choices: ChoiceBatch) -> tuple[list[bool], list[int]]:
    """Per item: whether the most likely option is the right one, and which option that is (the first of
    equals, as lm-evaluation-harness's argmax)."""
    was_training = model.training
    model.eval()
    picked = [int(row.argmax()) for row in option_logliks(model, choices)]
    model.train(was_training)
    return [k == a for k, a in zip(picked, choices.answers)], picked
