"""A group's evaluation points, measured together through the group's model.

Members of a group usually evaluate at the same steps (a sweep's runs share the schedule). Measured one after
another, each member runs its own forwards over the same probes. Here the members due at one step are measured
in one pass through the group's model (worker/engine/grouped.py): every chunk of a suite's probe rows is repeated
once per member, as contiguous blocks, so that each member's adapters meet its own copy of the rows (the per-row
member index the group's layers read); the validation losses take one forward over every member's own
validation rows; the sample outputs' candidate answers are checked in one forward, and the few probes that
must be decoded are decoded in one batch. Each member's figures are then assembled by the same `evaluate()` and
`samples()` pieces a lone run uses, from its own rows' scores. What this measures equals each member's own evaluation up to floating-point reduction order (the
tolerance of docs/grouped-training.md; tests/worker/engine/test_grouped.py checks it).

A judged suite (SmolLM2's) grades greedy generations: every member's copy of the prompts is decoded in the same
batches, each row through its own member's adapters (evaluate.generate_copies(), decode.greedy_scored()), and
the references are teacher-forced from that decode's cache as a lone run's are; each member then reads its own
multiple-choice items and grades its own answers (`evaluate()`). An exact-match suite whose probes would share a
long prefix (a chat template), which score() reads once from a one-row forward, is measured by each member itself.
"""

from __future__ import annotations

import time
from collections import defaultdict

import torch

from .encoding import IGNORE, Batch, concatenate, encode, prompt_ids
from .evaluate import as_samples, candidates, decoded_names, evaluate, generate_copies, known_outputs, sample_tokens
from .kv_cache import SHARED_PREFIX_MIN, decode_cache, shared_prefix
from .loss import answer_losses
from .scoring import _score_rows
from .train import Measured

# The most logits (floats) one evaluation forward may hold: about 512 MB. The synthetic tier's 8 members score a
# whole suite's name in one forward; a 49k-word vocabulary takes its rows in chunks, as score() does.
GROUP_LOGITS = 2 ** 27


def measure_members(model, routing, runs: dict, pad_id: int) -> dict[int, Measured]:
    """Each due member's measurements at this step, keyed as `runs` (member index -> Trainee, after `advance()`);
    members left out (no evaluation point now, or a suite measured one by one) measure themselves in their own
    `report()`. The time taken counts in each measured member's evaluation time."""
    started = time.perf_counter()
    suites: dict[int, list[int]] = defaultdict(list)  # members due on one encoded suite (one task's), by identity
    for index, run in runs.items():
        suite = run.due()
        if suite is not None:
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
                if encoded.suite.judge is not None:
                    names = encoded.suite.capabilities + encoded.suite.tasks
                    generated = generate_copies(model, encoded, decoded_names(encoded, names), routing, members)
                    for index, own in zip(members, generated):
                        results[index] = evaluate(runs[index].model, encoded, generated=own)
                    continue
                scores = {name: score_members(model, routing, members, encoded.batches[name])
                          for name in encoded.suite.capabilities + encoded.suite.tasks}
                if any(s is None for s in scores.values()):
                    continue  # a long shared prefix: these members measure themselves
                for k, index in enumerate(members):
                    results[index] = evaluate(runs[index].model, encoded,
                                              scores={name: tuple(c[k] for c in s) for name, s in scores.items()})
            losses = validation_losses(model, routing, {i: runs[i].val_data for i in results}, pad_id)
            # A judged suite's samples are its generations, which each member reads from its own result.
            shown = {i: runs[i].shown(runs[i].step, runs[i].due(), results[i]) for i in results
                     if runs[i].due().suite.judge is None}
            outputs = samples_members(model, routing, runs[next(iter(runs))].tokenizer, shown)
    finally:
        routing.segments.clear()
        model.train(was_training)
    elapsed = time.perf_counter() - started
    for index in results:
        runs[index].timing["eval"] += elapsed
    return {index: Measured(losses[index], results[index], outputs.get(index) if outputs is not None else None)
            for index in results}


def _score_routed(model, routing, batch: Batch, segments: list[tuple[int, int, int]]) -> tuple[torch.Tensor, ...]:
    """score()'s columns for every row of `batch` (at most a chunk's rows), each member's rows (`segments`) through
    its own adapters."""
    routing.segments[:] = segments
    return _score_rows(model, batch, False)


def _prefixed(batch: Batch) -> bool:
    """Whether score() would read these rows' shared prefix from a one-row forward (a chat template's system turn),
    which cannot carry every member's adapters at once."""
    return shared_prefix(batch.input_ids, int(batch.answer_start.min()) - 1) >= SHARED_PREFIX_MIN


@torch.inference_mode()
def score_members(model, routing, members: list[int], batch: Batch) -> tuple[torch.Tensor, ...] | None:
    """score() of the members (the group's indices) on one batch of probes, as (members, rows) tensors: each
    chunk of rows is repeated once per member, the k-th copy routed to the k-th member's adapters. None where a
    chunk's rows share a long prefix (`_prefixed`)."""
    n, count = len(batch), len(members)
    # Rows of about one prompt length and one length go together, as score() orders them, so little is padding.
    lengths = (batch.labels != IGNORE).cumsum(-1).argmax(-1)
    order = sorted(range(n), key=lambda i: (int(batch.answer_start[i]), int(lengths[i])))
    per_forward = max(1, min(n, GROUP_LOGITS // (count * batch.input_ids.shape[1] * model.config.vocab_size)))
    chunks = [batch.take(torch.tensor(order[i: i + per_forward])) for i in range(0, n, per_forward)]
    if any(_prefixed(c) for c in chunks):
        return None
    pieces = []
    for rows in chunks:
        size = len(rows)
        repeated = Batch(rows.input_ids.repeat(count, 1), rows.labels.repeat(count, 1), rows.answer_start.repeat(count))
        segments = [(member, k * size, (k + 1) * size) for k, member in enumerate(members)]
        pieces.append([column.view(count, size) for column in _score_routed(model, routing, repeated, segments)])
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
        routing.segments[:] = _segments(chunk, [len(data[m]) for m in chunk])
        joined = concatenate([data[m] for m in chunk], pad_id)
        sizes = [len(data[m]) for m in chunk]
        for index, loss in zip(chunk, answer_losses(model, joined.input_ids, joined.labels, sizes)):
            losses[index] = loss.item()
    return losses


def _segments(members: list[int], sizes: list[int]) -> list[tuple[int, int, int]]:
    """Contiguous rows per member, in order: (member, start, end)."""
    ends = torch.tensor(sizes).cumsum(0).tolist()
    return [(m, end - size, end) for m, size, end in zip(members, sizes, ends)]


@torch.inference_mode()
def samples_members(model, routing, tokenizer, asks: dict[int, tuple[list, list[str]]]) -> dict[int, list[dict]] | None:
    """samples() of each member (exact-match suites), from its (probes shown, previous outputs): every member's
    candidate answers checked in one forward, and the probes that match neither decoded in one batch
    (`greedy_members`). None where the candidates share a long prefix (`_prefixed`): each member takes its own."""
    members = [m for m in asks if asks[m][0]]
    pairs = {m: candidates(*asks[m]) for m in members}
    known: dict[int, list] = {m: [] for m in asks}
    if members:
        batch = encode(tokenizer, [pair for m in members for pair in pairs[m]])
        if _prefixed(batch) or len(batch) * batch.input_ids.shape[1] * model.config.vocab_size > GROUP_LOGITS:
            return None
        segments = _segments(members, [len(pairs[m]) for m in members])
        right = _score_routed(model, routing, batch, segments)[0].tolist()
        for m, start, end in segments:
            known[m] = known_outputs(*asks[m], right[start:end])
    todo = {m: [p for p, k in zip(asks[m][0], known[m]) if k is None] for m in members}
    todo = {m: probes for m, probes in todo.items() if probes}
    if todo:
        decoded = greedy_members(model, routing, tokenizer,
                                 [(m, [p.prompt for p in probes], sample_tokens(tokenizer, probes))
                                  for m, probes in todo.items()])
        for m, texts in decoded.items():
            outputs = iter(texts)
            known[m] = [k if k is not None else next(outputs) for k in known[m]]
    return {m: as_samples(asks[m][0], known[m]) for m in asks}


@torch.inference_mode()
def greedy_members(model, routing, tokenizer, requests: list[tuple[int, list[str], int]]) -> dict[int, list[str]]:
    """greedy() of each member's prompts, to its own number of new tokens, all members' rows in one left-padded
    batch through the group's model: (member, prompts, new tokens) -> member's texts. Every row stays in the batch
    (in its member's block) until the last one ends; each step feeds the newest token through a KV cache, as
    greedy() does. The texts are greedy()'s: an answer ends at its end-of-sequence token or its limit."""
    prompts = [p for _, texts, _ in requests for p in texts]
    limits = [limit for _, texts, limit in requests for _ in texts]
    encoded = prompt_ids(tokenizer, prompts)
    eos = tokenizer.eos_token_id
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
    width = max(map(len, encoded))
    ids = torch.tensor([[pad] * (width - len(e)) + e for e in encoded], device=model.device)
    mask = torch.tensor([[0] * (width - len(e)) + [1] * len(e) for e in encoded], device=model.device)
    # Positions count real tokens only, as generate() numbers a left-padded row (a pad's own is never read).
    positions = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)
    routing.segments[:] = _segments([m for m, _, _ in requests], [len(texts) for _, texts, _ in requests])
    cache = decode_cache(model, width + max(limits))
    logits = model(input_ids=ids, attention_mask=mask, position_ids=positions, cache=cache, use_cache=True,
                   logits_to_keep=1).logits
    last = positions[:, -1]
    answers: list[list[int]] = [[] for _ in prompts]
    going = [limit > 0 for limit in limits]
    while True:
        token = logits[:, -1].argmax(-1)
        for row, t in enumerate(token.tolist()):
            if going[row]:
                answers[row].append(t)
                going[row] = t != eos and len(answers[row]) < limits[row]
        if not any(going):
            break
        mask = torch.cat([mask, mask.new_ones(len(prompts), 1)], -1)
        last = last + 1
        logits = model(input_ids=token.unsqueeze(-1), attention_mask=mask, position_ids=last.unsqueeze(-1),
                       cache=cache, use_cache=True).logits
    texts = [tokenizer.decode(row[: row.index(eos)] if eos in row else row, skip_special_tokens=True).strip()
             for row in answers]
    out, start = {}, 0
    for member, member_prompts, _ in requests:
        out[member] = texts[start: start + len(member_prompts)]
        start += len(member_prompts)
    return out
