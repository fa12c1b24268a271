"""Answer NLLs by teacher forcing: exact match, mean answer NLL and its split, from rows of (prompt, answer).

`score()` reads each row whole (its prompt, then its answer). `continued_scores()` reads only the answers, each
continuing its prompt from a KV cache that already holds it: the greedy decode's prefill (decode.py), so an item
that is both generated and reference-scored reads its prompt once. Both project onto the vocabulary only the
positions whose next token is an answer token and lay the cross-entropy out as score() always has
(`answer_columns()`), so the two give the same NLLs to float rounding (tests/worker/engine/test_scoring_speed.py).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .encoding import IGNORE, Batch, trim
from .kv_cache import kv_rows, prefix_cache, shared_prefix
from .loss import logits_at

SCORE_ROWS = 16  # rows per forward: a 49k-word vocabulary makes a long batch's logits hundreds of MB


@torch.inference_mode()
def score(model, batch: Batch, parts: bool = False) -> tuple[torch.Tensor, ...]:
    """Per probe: exact match (bool), mean answer NLL per token; and first-token argmax.
    With `parts`, a fourth (n, 3) tensor splits the answer NLL into its first token, the mean of the
    tokens between (NaN where the answer is one token) and the end-of-answer token."""
    if len(batch) > SCORE_ROWS:
        # Rows of about one prompt length and one length in all go together, so that few positions before the
        # answers are projected onto the vocabulary and little of each forward is padding.
        lengths = (batch.labels != IGNORE).cumsum(-1).argmax(-1)
        order = sorted(range(len(batch)), key=lambda i: (int(batch.answer_start[i]), int(lengths[i])))
        pieces = [_score_rows(model, batch.take(torch.tensor(order[i: i + SCORE_ROWS])), parts)
                  for i in range(0, len(batch), SCORE_ROWS)]
        return in_order(pieces, order)
    return _score_rows(model, batch, parts)


def in_order(pieces: list[tuple[torch.Tensor, ...]], order: list[int]) -> tuple[torch.Tensor, ...]:
    """The columns of chunks scored in `order`, back in the rows' own order."""
    back = torch.tensor(order).argsort()
    return tuple(torch.cat(column)[back.to(column[0].device)] for column in zip(*pieces))


def _score_rows(model, batch: Batch, parts: bool) -> tuple[torch.Tensor, ...]:
    """score() of at most SCORE_ROWS rows, in one forward."""
    batch = trim(batch.to(model.device))
    start = int(batch.answer_start.min())  # the first position whose next token is an answer token is start-1
    # The tokens every row opens with (a chat template's system turn) are read once, and the rows continue from
    # their KV cache: under a causal mask, the same computation.
    shared, cache = prefix_cache(model, batch.input_ids, shared_prefix(batch.input_ids, start - 1))
    targets = batch.labels[:, start:]
    # Only the positions whose next token is an answer token are projected onto the vocabulary (loss.py): with a
    # 49k-word vocabulary the projection of the prompts was most of a real model's scoring time, and the padding
    # after short answers and the other rows' longer prompts are not projected either.
    positions = F.pad(targets != IGNORE, (start - 1 - shared, 1))
    logits = logits_at(model, batch.input_ids[:, shared:], positions, cache=cache, use_cache=cache is not None)
    return answer_columns(logits, targets, batch.answer_start - start, parts)


def answer_columns(logits: torch.Tensor, targets: torch.Tensor, opening: torch.Tensor,
                   parts: bool) -> tuple[torch.Tensor, ...]:
    """score()'s columns from `logits`, the float logits of every position whose next token is a target (row-major,
    as logits_at() returns them); `targets` (rows, positions) are IGNORE outside the answers, and `opening` is each
    row's column of its first answer token."""
    mask = targets != IGNORE
    preds = torch.full_like(targets, IGNORE)
    preds[mask] = logits.argmax(-1)
    nll = torch.zeros(targets.shape, device=logits.device)
    # Laid out (1, vocabulary, positions) as the every-position scoring laid out its logits: cross_entropy then sums
    # the 49k exponentials in the same order, and every NLL is what it was. (A (positions, vocabulary) layout sums
    # them more exactly, within 2e-5 of float64 where this is up to 3e-4 low on SmolLM2: a change of results.)
    nll[mask] = F.cross_entropy(logits.T.unsqueeze(0), targets[mask].unsqueeze(0), reduction="none")[0]
    correct = ((preds == targets) | ~mask).all(-1)
    rows = torch.arange(len(targets), device=preds.device)
    opening = opening.to(preds.device)
    first = preds[rows, opening]
    if not parts:
        return correct, nll.sum(-1) / mask.sum(-1), first
    end = (mask * torch.arange(mask.shape[1], device=mask.device)).argmax(-1)  # the last answer position: eos
    between = nll.sum(-1) - nll[rows, opening] - nll[rows, end]
    count = mask.sum(-1) - 2
    content = torch.where(count > 0, between / count.clamp(min=1), torch.full_like(between, float("nan")))
    split = torch.stack([nll[rows, opening], content, nll[rows, end]], -1)
    return correct, nll.sum(-1) / mask.sum(-1), first, split


def continued_scores(model, cache, mask: torch.Tensor, last_position: torch.Tensor, last_token: torch.Tensor,
                     answers: list[list[int]], route=None) -> tuple[torch.Tensor, ...]:
    """score(parts=True)'s columns of each row's answer (its tokens, end token included), after the prompt that
    `cache` holds: a batch's KV cache right after reading its prompts (the greedy decode's prefill), `mask` the
    attention mask of its positions, `last_position` the position of each row's last prompt token,
    `last_token` that token.

    Rows go SCORE_ROWS at a time, shortest answers together (a group's batch, `route` (decode.Route): each
    member's rows together, then by length, every forward's rows through their members' adapters). Each chunk
    copies its rows' cache less the last prompt position and reads that token again, then the answer: the
    positions score() projects (the last prompt token predicts the first answer token), laid out as score() lays
    them, and `cache` is left as it was for the decode."""
    order = sorted(range(len(answers)), key=lambda i: (route.members[i] if route else 0, len(answers[i])))
    pieces = []
    for lo in range(0, len(order), SCORE_ROWS):
        rows = torch.tensor(order[lo: lo + SCORE_ROWS], device=mask.device)
        chunk = [answers[i] for i in rows.tolist()]
        width = max(map(len, chunk))
        # Each row reads its last prompt token again, then its answer but the end token; what follows a shorter
        # answer (its first token repeated, never a target) is never read by its own positions, under the causal mask.
        ids = torch.tensor([[t] + a[:-1] + [a[0]] * (width - len(a)) for t, a in zip(last_token[rows].tolist(), chunk)],
                           device=mask.device)
        targets = torch.tensor([a + [IGNORE] * (width - len(a)) for a in chunk], device=mask.device)
        keep = torch.cat([mask[rows], mask.new_ones(len(rows), width - 1)], -1)
        at = last_position[rows].unsqueeze(-1) + torch.arange(width, device=mask.device)
        if route:
            route.rows(rows.tolist())
        logits = logits_at(model, ids, targets != IGNORE, cache=kv_rows(cache, rows, mask.shape[1] - 1),
                           attention_mask=keep, position_ids=at, use_cache=True)
        pieces.append(answer_columns(logits, targets, torch.zeros(len(rows), dtype=torch.long), True))
    return in_order(pieces, order)


def nll_parts(split: torch.Tensor, nll: torch.Tensor) -> dict[str, float]:
    """A capability's mean answer NLL beside its first token, its content and its end token: a shifted
    answer format moves the first and end tokens, lost knowledge the content (docs/real-model.md)."""
    content = split[:, 1][~split[:, 1].isnan()]  # None where every answer is one token: nothing between
    return {"whole": nll.mean().item(), "first": split[:, 0].mean().item(),
            "content": content.mean().item() if len(content) else None, "end": split[:, 2].mean().item()}
