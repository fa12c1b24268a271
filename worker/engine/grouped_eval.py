"""A group's evaluation points, measured together through the group's model.

Members of a group usually evaluate at the same steps (a sweep's runs share the schedule). Measured one after
another, each member runs its own forwards over the same probes. Here the members due at one step are measured
in one pass through the group's model (worker/engine/grouped.py): every chunk of a suite's probe rows is repeated
once per member, as contiguous blocks, so that each member's adapters meet its own copy of the rows (the per-row
member index the group's layers read); the validation losses take one forward over every member's own
validation rows. Each member's figures are then assembled by the same `evaluate()` a lone run uses, from its own
rows' scores. What this measures equals each member's own evaluation up to floating-point reduction order (the
tolerance of docs/grouped-training.md; tests/worker/engine/test_grouped.py checks it).

Exact-match suites only (the synthetic tier's). A judged suite (SmolLM2's) grades greedy generations, decoded
through a KV cache whose rows leave the batch as they end, and reads its shared chat prefix from a one-row cache:
its members are measured one by one, as a lone run measures itself. So is a suite whose probes would share a
long prefix (a chat template), which score() reads once from a one-row forward.
"""

from __future__ import annotations

import time
from collections import defaultdict

import torch

from .encoding import IGNORE, Batch, concatenate
from .evaluate import SHARED_PREFIX_MIN, _score_rows, evaluate
from .kv_cache import shared_prefix

# The most logits (floats) one evaluation forward may hold: about 512 MB. The synthetic tier's 8 members score a
# whole suite's name in one forward; a 49k-word vocabulary takes its rows in chunks, as score() does.
GROUP_LOGITS = 2 ** 27


def measure_members(model, routing, runs: dict, pad_id: int) -> dict[int, tuple[float, dict]]:
    """Each due member's (validation loss, evaluate() result) at this step, keyed as `runs` (member index ->
    Trainee, after `advance()`); members left out (no evaluation point now, or a suite measured one by one) are
    measured by their own `report()`. The time taken counts in each measured member's evaluation time."""
    started = time.perf_counter()
    suites: dict[int, list[int]] = defaultdict(list)  # members due on one encoded suite (one task's), by identity
    for index, run in runs.items():
        suite = run.due()
        if suite is not None and suite.suite.judge is None:
            suites[id(suite)].append(index)
    if not suites:
        return {}
    was_training = model.training
    model.eval()
    results: dict[int, dict] = {}
    try:
        with next(iter(runs.values())).runtime.autocast():
            for members in suites.values():
                encoded = runs[members[0]].due()
                scores = {name: score_members(model, routing, members, encoded.batches[name])
                          for name in encoded.suite.capabilities + encoded.suite.tasks}
                if any(s is None for s in scores.values()):
                    continue  # a long shared prefix: these members measure themselves
                for k, index in enumerate(members):
                    results[index] = evaluate(runs[index].model, encoded,
                                              scores={name: tuple(c[k] for c in s) for name, s in scores.items()})
            losses = validation_losses(model, routing, {i: runs[i].val_data for i in results}, pad_id)
    finally:
        routing.segments.clear()
        model.train(was_training)
    elapsed = time.perf_counter() - started
    for index in results:
        runs[index].timing["eval"] += elapsed
    return {index: (losses[index], results[index]) for index in results}


@torch.inference_mode()
def score_members(model, routing, members: list[int], batch: Batch) -> tuple[torch.Tensor, ...] | None:
    """score() of the members (the group's indices) on one batch of probes, as (members, rows) tensors: each
    chunk of rows is repeated once per member, the k-th copy routed to the k-th member's adapters. None where a chunk's rows share a
    prefix that score() would read from a one-row forward (which cannot carry every member's adapters)."""
    n, count = len(batch), len(members)
    # Rows of about one prompt length and one length go together, as score() orders them, so little is padding.
    lengths = (batch.labels != IGNORE).cumsum(-1).argmax(-1)
    order = sorted(range(n), key=lambda i: (int(batch.answer_start[i]), int(lengths[i])))
    per_forward = max(1, min(n, GROUP_LOGITS // (count * batch.input_ids.shape[1] * model.config.vocab_size)))
    chunks = [batch.take(torch.tensor(order[i: i + per_forward])) for i in range(0, n, per_forward)]
    if any(shared_prefix(c.input_ids, int(c.answer_start.min()) - 1) >= SHARED_PREFIX_MIN for c in chunks):
        return None
    pieces = []
    for rows in chunks:
        size = len(rows)
        routing.segments[:] = [(member, k * size, (k + 1) * size) for k, member in enumerate(members)]
        repeated = Batch(rows.input_ids.repeat(count, 1), rows.labels.repeat(count, 1), rows.answer_start.repeat(count))
        pieces.append([column.view(count, size) for column in _score_rows(model, repeated, False)])
    back = torch.tensor(order).argsort()
    return tuple(torch.cat(column, 1)[:, back.to(column[0].device)] for column in zip(*pieces))


@torch.inference_mode()
def validation_losses(model, routing, data: dict[int, Batch], pad_id: int) -> dict[int, float]:
    """Each member's validation loss (as `validation_loss()` of its own model on its own rows): the members' rows
    concatenated, as many members a forward as GROUP_LOGITS allows, each loss over its own rows' logits."""
    losses: dict[int, float] = {}
    members = list(data)
    vocab = model.config.vocab_size
    while members:
        width = max(data[m].input_ids.shape[1] for m in members)
        take, rows = 0, 0
        while take < len(members) and (take == 0 or (rows + len(data[members[take]])) * width * vocab <= GROUP_LOGITS):
            rows += len(data[members[take]])
            take += 1
        chunk, members = members[:take], members[take:]
        routing.segments[:] = []
        start = 0
        for index in chunk:  # segments name the group's member index: the runs' keys
            routing.segments.append((index, start, start + len(data[index])))
            start += len(data[index])
        joined = concatenate([data[m] for m in chunk], pad_id)
        logits = model(input_ids=joined.input_ids).logits
        sizes = [len(data[m]) for m in chunk]
        for index, part, labels in zip(chunk, logits.split(sizes), joined.labels.split(sizes)):
            losses[index] = model.loss_function(logits=part, labels=labels, vocab_size=vocab).item()
    return losses
