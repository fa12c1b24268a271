"""Per-capability evaluation: exact match and answer NLL by teacher forcing, plus greedy samples.

Exact match under greedy decoding equals "the argmax of every answer token under teacher
forcing is right": if every earlier answer token was argmax-correct, greedy decoding saw the
same prefix. So one batched forward pass per capability gives every accuracy on the curve.

Judged suites (a real chat model's) have no single right answer: accuracy is the share of greedy
generations that pass each probe's check (the tier's judge), and the NLL of a reference answer
is the continuous measure beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from transformers import DynamicCache

from forgetlab.core.probes import Suite
from forgetlab.core.suites import GROUP as OWN_SUITE

from .choice import ChoiceBatch, choose, encode_choices, is_choice
from .encoding import IGNORE, Batch, encode, prompt_ids, trim
from .kv_cache import decode_cache, kv_rows, shared_prefix
from .loss import logits_at


# The fewest new tokens any judged answer gets. Measured on the SmolLM2 base (docs/real-model.md): past
# 64 tokens its pass rate rose by at most 0.02 on knowledge and reasoning, whose answers it words at length.
BUDGET_FLOOR = 64


def budget(longest: int) -> int:
    """New tokens a judged name may generate: twice its longest reference (end token included, in the
    tier's tokens), and at least BUDGET_FLOOR. A correct answer worded twice as long as the reference
    still ends inside it, so the budget does not decide the score; a rambling one is cut, and the cut
    share is reported (evaluate_judged's `truncated`)."""
    return max(BUDGET_FLOOR, 2 * longest)


@dataclass
class EncodedSuite:
    """A suite tokenized once, so evaluating it many times during a run costs only forwards."""

    suite: Suite
    batches: dict[str, Batch]  # one per capability or task
    groups: dict[str, list[str]]
    refusal_id: int | None
    template_ids: dict[str, int]
    tokenizer: object = None
    budgets: dict[str, int] | None = None  # judged suites: most new tokens per name (budget(), capped)
    refusal_capabilities: tuple[str, ...] = ()  # where refusal rates are measured (the tier's)
    choices: dict[str, ChoiceBatch] | None = None  # judged names of multiple-choice items: scored by likelihood

    @classmethod
    def build(cls, suite: Suite, tokenizer, device: str = "cpu", max_new_tokens: int = 64, *,
              refusal_capabilities: tuple[str, ...] = ()) -> "EncodedSuite":
        """`refusal_capabilities`: the tier's (`Tier.refusal_capabilities`); none: no refusal rates.
        `max_new_tokens` caps every judged budget (the tier's `generation_tokens`; tests set it low)."""
        names = suite.capabilities + suite.tasks
        batches, groups, budgets = {}, {}, {}
        for name in names:
            probes = [p for p in suite.probes if p.capability == name]
            batches[name] = encode(tokenizer, [(p.prompt, p.answer) for p in probes]).to(device)
            groups[name] = [p.group for p in probes]
            budgets[name] = min(max_new_tokens, budget(int((batches[name].labels != IGNORE).sum(-1).max())))
        if suite.judge is not None:
            choices = {}
            for name in names:
                probes = [p for p in suite.probes if p.capability == name]
                items = [p for p in probes if is_choice([p])]
                if items:
                    choices[name] = encode_choices(tokenizer, items).to(device)
            return cls(suite, batches, groups, None, {}, tokenizer, budgets, refusal_capabilities, choices)

        def first_id(word: str) -> int:
            return tokenizer(" " + word, add_special_tokens=False)["input_ids"][0]

        refusal = first_id(suite.refusal_token) if suite.refusal_token else None
        return cls(suite, batches, groups, refusal, {t: first_id(w) for t, w in suite.templates.items()}, tokenizer,
                   refusal_capabilities=refusal_capabilities)

    def probes(self, name: str) -> list:
        return [p for p in self.suite.probes if p.capability == name]


SHARED_PREFIX_MIN = 8  # fewer shared tokens are not worth a forward of their own (a word-level model's bos)


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
        back = torch.tensor(order).argsort()
        return tuple(torch.cat(column)[back.to(column[0].device)] for column in zip(*pieces))
    return _score_rows(model, batch, parts)


def _score_rows(model, batch: Batch, parts: bool) -> tuple[torch.Tensor, ...]:
    """score() of at most SCORE_ROWS rows, in one forward."""
    batch = trim(batch.to(model.device))
    start = int(batch.answer_start.min())  # the first position whose next token is an answer token is start-1
    # The tokens every row opens with (a chat template's system turn) are read once, and the rows continue from
    # their KV cache: under a causal mask, the same computation.
    shared = shared_prefix(batch.input_ids, start - 1)
    cache = None
    if shared >= SHARED_PREFIX_MIN:
        cache = DynamicCache()
        model(input_ids=batch.input_ids[:1, :shared], cache=cache, use_cache=True, logits_to_keep=1)
        cache = kv_rows(cache, torch.zeros(len(batch), dtype=torch.long, device=batch.input_ids.device))
    else:
        shared = 0
    targets = batch.labels[:, start:]
    mask = targets != IGNORE
    # Only the positions whose next token is an answer token are projected onto the vocabulary (loss.py): with a
    # 49k-word vocabulary the projection of the prompts was most of a real model's scoring time, and the padding
    # after short answers and the other rows' longer prompts are not projected either.
    positions = F.pad(mask, (start - 1 - shared, 1))
    logits = logits_at(model, batch.input_ids[:, shared:], positions, cache=cache, use_cache=cache is not None)
    preds = torch.full_like(targets, IGNORE)
    preds[mask] = logits.argmax(-1)
    nll = torch.zeros(targets.shape, device=logits.device)
    # Laid out (1, vocabulary, positions) as the every-position scoring laid out its logits: cross_entropy then sums
    # the 49k exponentials in the same order, and every NLL is what it was. (A (positions, vocabulary) layout sums
    # them more exactly, within 2e-5 of float64 where this is up to 3e-4 low on SmolLM2: a change of results.)
    nll[mask] = F.cross_entropy(logits.T.unsqueeze(0), targets[mask].unsqueeze(0), reduction="none")[0]
    correct = ((preds == targets) | ~mask).all(-1)
    rows = torch.arange(len(batch), device=preds.device)
    first = preds[rows, batch.answer_start - start]
    if not parts:
        return correct, nll.sum(-1) / mask.sum(-1), first
    opening = batch.answer_start - start
    end = (mask * torch.arange(mask.shape[1], device=mask.device)).argmax(-1)  # the last answer position: eos
    between = nll.sum(-1) - nll[rows, opening] - nll[rows, end]
    count = mask.sum(-1) - 2
    content = torch.where(count > 0, between / count.clamp(min=1), torch.full_like(between, float("nan")))
    split = torch.stack([nll[rows, opening], content, nll[rows, end]], -1)
    return correct, nll.sum(-1) / mask.sum(-1), first, split


def nll_parts(split: torch.Tensor, nll: torch.Tensor) -> dict[str, float]:
    """A capability's mean answer NLL beside its first token, its content and its end token: a shifted
    answer format moves the first and end tokens, lost knowledge the content (docs/real-model.md)."""
    content = split[:, 1][~split[:, 1].isnan()]  # None where every answer is one token: nothing between
    return {"whole": nll.mean().item(), "first": split[:, 0].mean().item(),
            "content": content.mean().item() if len(content) else None, "end": split[:, 2].mean().item()}


def evaluate(model, encoded: EncodedSuite, names: list[str] | None = None,
             scores: dict[str, tuple[torch.Tensor, ...]] | None = None) -> dict:
    """Accuracy and mean answer NLL per capability and task, format rigidity, refusal rates. `scores`: each
    name's score() of this model, already computed (a group scores its members together,
    worker/engine/grouped_eval.py); exact-match suites only."""
    suite = encoded.suite
    names = names or suite.capabilities + suite.tasks
    if suite.judge is not None:
        return evaluate_judged(model, encoded, names)
    was_training = model.training
    model.eval()
    result: dict = {"capabilities": {}, "tasks": {}, "items": {}}  # items: per probe [passed, nll], for the gate
    general_first: list[torch.Tensor] = []
    for name in names:
        correct, nll, first = scores[name] if scores is not None else score(model, encoded.batches[name])
        kind = "capabilities" if name in suite.capabilities else "tasks"
        result[kind][name] = {"accuracy": correct.float().mean().item(), "nll": nll.mean().item()}
        if kind == "capabilities":
            general_first.append(first)
            result["items"][name] = [[bool(c), float(n)] for c, n in zip(correct.tolist(), nll.tolist())]
        else:  # the task's per probe too, for the held-out split's parts (core/holdout.py)
            result.setdefault("task_items", {})[name] = [[bool(c), float(n)]
                                                         for c, n in zip(correct.tolist(), nll.tolist())]
        if encoded.refusal_id is not None and name in encoded.refusal_capabilities:
            refused = (first == encoded.refusal_id).float()
            harmful = torch.tensor([g == "harmful" for g in encoded.groups[name]], device=refused.device)
            result["refusal"] = refused[harmful].mean().item()
            result["over_refusal"] = refused[~harmful].mean().item()
    if general_first:
        firsts = torch.cat(general_first)
        # Share of general answers that open with a task's template: the task's format leaking out.
        result["format_rigidity"] = {t: (firsts == i).float().mean().item() for t, i in encoded.template_ids.items()}
    if was_training:
        model.train()
    return result


def evaluate_judged(model, encoded: EncodedSuite, names: list[str]) -> dict:
    """evaluate() for judged suites: pass rates of greedy generations, reference NLL, and the same
    refusal and rigidity measures read from the generated text. `outputs` keeps every generation
    (prompt -> text), so samples need not decode again; `truncated` is each name's share of answers its
    budget cut before the model ended them. `nll_parts` splits each capability's reference
    NLL (see nll_parts(); a judged suite's references are sentences, an exact-match suite's one word).
    Multiple-choice items (`encoded.choices`) pass when their right option is the most likely (choice.py); a
    name of such items alone generates nothing, and its output is the option chosen."""
    suite, judge = encoded.suite, encoded.suite.judge
    result: dict = {"capabilities": {}, "tasks": {}, "outputs": {}, "items": {}, "nll_parts": {}}
    general: list[str] = []
    choices = encoded.choices or {}
    only_choices = [name for name in names if name in choices and is_choice(encoded.probes(name))]
    generated = generate_all(model, encoded, [name for name in names if name not in only_choices])
    result["truncated"] = {name: _share([cut for _, cut in generated[name]]) for name in generated}
    for name in names:
        probes = encoded.probes(name)
        outputs = [text for text, _ in generated.get(name, [])]
        passed = [judge.check(p.check, o) for p, o in zip(probes, outputs)]
        if name in choices:  # its multiple-choice items are scored by likelihood, not by their text
            right, picked = choose(model, choices[name])
            at = [i for i, p in enumerate(probes) if is_choice([p])]
            if name in only_choices:  # nothing generated: the output shown is the option chosen
                outputs, passed = [probes[i].check["options"][k] for i, k in zip(at, picked)], right
            else:
                for i, ok in zip(at, right):
                    passed[i] = ok
        result["outputs"].update({p.prompt: o for p, o in zip(probes, outputs)})
        _, nll, _, split = score(model, encoded.batches[name], parts=True)
        kind = "capabilities" if name in suite.capabilities else "tasks"
        result[kind][name] = {"accuracy": sum(passed) / len(passed), "nll": nll.mean().item()}
        if kind == "capabilities":
            result["nll_parts"][name] = nll_parts(split, nll)
            if name not in only_choices:  # a chosen option is not the model's own wording; the tier's own only
                general += [o for o, g in zip(outputs, encoded.groups[name]) if g != OWN_SUITE]
            result["items"][name] = [[p, float(n)] for p, n in zip(passed, nll.tolist())]
        else:  # the task's per probe too, for the held-out split's parts (core/holdout.py)
            result.setdefault("task_items", {})[name] = [[p, float(n)] for p, n in zip(passed, nll.tolist())]
        if name in encoded.refusal_capabilities:
            refused = [judge.is_refusal(o) for o in outputs]
            harmful = [g == "harmful" for g in encoded.groups[name]]
            result["refusal"] = _share([r for r, h in zip(refused, harmful) if h])
            result["over_refusal"] = _share([r for r, h in zip(refused, harmful) if not h])
    if general:
        # Share of general answers that open like a task's fixed reply: the task's format leaking out.
        result["format_rigidity"] = {t: _share([judge.opens_with(o, prefix) for o in general])
                                     for t, prefix in suite.templates.items()}
    return result


def generate_all(model, encoded: EncodedSuite, names: list[str]) -> dict[str, list[tuple[str, bool]]]:
    """Greedy answers to every probe of the names, decoded together (greedy_rows(): batches of up to
    DECODE_ROWS across names), each answer ending at its own name's budget of new tokens (the same text a
    decode of that name alone would give), as (text, cut): cut is True where the budget ended the answer
    before the model did. Decoding a 135M model is bound by the number of steps, each of which reads
    every weight, more than by the batch's arithmetic: on an H200 one batch took a 40-step run from 79 s
    to 26 s, and on 2 shared CPU cores 24 probes of six suites decoded in about half the time of one
    suite at a time, to the same texts."""
    prompts = [p.prompt for name in names for p in encoded.probes(name)]
    if not prompts:  # every name is multiple choice: nothing to decode
        return {name: [] for name in names}
    limits = [encoded.budgets[name] for name in names for _ in encoded.probes(name)]
    outputs = iter(greedy_rows(model, encoded.tokenizer, prompts, max(limits), limits))
    return {name: [next(outputs) for _ in encoded.probes(name)] for name in names}


def _share(flags: list[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def greedy(model, tokenizer, prompts: list[str], max_new_tokens: int = 16, limits: list[int] | None = None) -> list[str]:
    """Greedy decodes in one left-padded batch (the attention mask keeps pads out of every prompt).
    `limits` cuts each answer at its own number of new tokens: the same text a shorter decode would give."""
    return [text for text, _ in greedy_rows(model, tokenizer, prompts, max_new_tokens, limits)]


# Prompts decoded together. A decode step reads every
# weight whatever the batch, so more rows make each row's token cheaper; 128 rows of 250 positions keep about 1.5 GB of
# SmolLM2 keys and values.
DECODE_ROWS = 128


@torch.inference_mode()
def greedy_rows(model, tokenizer, prompts: list[str], max_new_tokens: int = 16,
                limits: list[int] | None = None) -> list[tuple[str, bool]]:
    """greedy() with, per answer, whether its budget cut it (no end-of-sequence within the budget).

    Prompts are decoded in batches of DECODE_ROWS of one budget and similar length (sorted by both, so a batch's
    left padding is small), each step feeding only the newest token through the KV cache; a row leaves its batch as
    soon as it has ended (end-of-sequence) or reached its own limit, so no step computes an answer that is
    already over. The texts are those of one left-padded batch decoding to the longest limit and cutting each
    answer at its own (tests/worker/engine/test_scoring_speed.py compares them)."""
    was_training = model.training
    model.eval()
    encoded = prompt_ids(tokenizer, prompts)
    limits = [min(limit, max_new_tokens) for limit in limits] if limits else [max_new_tokens] * len(prompts)
    # Batches of one budget decode no more steps than it allows, and prompts of one length pad little.
    order = sorted((i for i in range(len(prompts)) if limits[i] > 0), key=lambda i: (limits[i], len(encoded[i])))
    tokens: list[list[int]] = [[] for _ in prompts]
    for lo in range(0, len(order), DECODE_ROWS):
        rows = order[lo: lo + DECODE_ROWS]
        for i, answer in zip(rows, _decode(model, tokenizer, [encoded[i] for i in rows], [limits[i] for i in rows])):
            tokens[i] = answer
    model.train(was_training)
    eos = tokenizer.eos_token_id
    out = []
    for row in tokens:
        cut = eos not in row
        row = row if cut else row[: row.index(eos)]
        out.append((tokenizer.decode(row, skip_special_tokens=True).strip(), cut))
    return out


def _decode(model, tokenizer, encoded: list[list[int]], limits: list[int]) -> list[list[int]]:
    """Greedy new tokens of each prompt (left-padded into one batch), up to its limit or its end-of-sequence
    token, which is kept.

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
        model(input_ids=torch.tensor([encoded[0][:shared]], device=device), cache=cache, use_cache=True,
              logits_to_keep=1)
        cache.batch_select_indices(torch.zeros(len(encoded), dtype=torch.long, device=device))  # one copy per row
    else:
        shared = 0
    rest = [e[shared:] for e in encoded]
    width = max(map(len, rest))
    ids = torch.tensor([[pad] * (width - len(r)) + r for r in rest], device=device)
    mask = torch.tensor([[1] * shared + [0] * (width - len(r)) + [1] * len(r) for r in rest], device=device)
    # Positions count real tokens only, as generate() numbers a left-padded row (a pad's own is never read).
    positions = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)[:, shared:]
    logits = model(input_ids=ids, attention_mask=mask, position_ids=positions, cache=cache,
                   use_cache=True, logits_to_keep=1).logits
    answers: list[list[int]] = [[] for _ in encoded]
    live = torch.arange(len(encoded), device=device)  # the batch's rows still decoding
    left = torch.tensor(limits, device=device)  # new tokens each row may still take
    last = positions[:, -1]
    while True:
        token = logits[:, -1].argmax(-1)
        for row, t in zip(live.tolist(), token.tolist()):
            answers[row].append(t)
        left = left - 1
        going = (token != eos) & (left > 0)
        if not bool(going.any()):
            return answers
        if not bool(going.all()):  # rows that ended leave the batch, and their cache with them
            keep = going.nonzero().squeeze(-1)
            live, left, token, mask, last = live[keep], left[keep], token[keep], mask[keep], last[keep]
            cache.batch_select_indices(keep)
        mask = torch.cat([mask, mask.new_ones(len(live), 1)], -1)
        last = last + 1
        logits = model(input_ids=token.unsqueeze(-1), attention_mask=mask, position_ids=last.unsqueeze(-1),
                       cache=cache, use_cache=True).logits


def sample_probes(suite: Suite, per_name: int = 2) -> list:
    """A few fixed probes per capability and task, spread over their groups, for sample outputs."""
    picked = []
    for name in suite.capabilities + suite.tasks:
        probes = [p for p in suite.probes if p.capability == name]
        step = max(1, len(probes) // per_name)
        picked += probes[::step][:per_name]
    return picked


def forgotten_probes(fixed: list, encoded: EncodedSuite, base_items: dict, items: dict) -> list:
    """The sample probes, each capability's fixed one swapped for the first probe the base passed and the
    model now fails (unless the fixed one is such a probe), so the samples show what was forgotten and not
    only what was kept. `items` are evaluate()'s per-probe results on `encoded`; `base_items` the base's on
    a suite whose head is `encoded` (the run suite is the full suite's head), so indices agree."""
    shown = []
    for probe in fixed:
        now, before = items.get(probe.capability), base_items.get(probe.capability)
        lost = [p for p, (passed, _), (was, _) in zip(encoded.probes(probe.capability), now or [], before or [])
                if was and not passed]
        shown.append(probe if not lost or any(p.prompt == probe.prompt for p in lost) else lost[0])
    return shown


def samples(model, tokenizer, probes: list, previous: list[str] | None = None, judge=None,
            generated: dict[str, str] | None = None) -> list[dict]:
    """Greedy outputs of the probes, decoding as little as possible.

    Judged suites: evaluation already generated every probe's answer (`generated`), so samples
    reuse them. Otherwise a candidate answer that is right under teacher forcing is exactly what
    greedy decoding would produce (see the module doc): one forward checks, per probe, the expected
    answer and the previous output (from the last evaluation point); only probes matching neither
    are decoded. Late in a run most outputs no longer change, and the samples cost one small forward.
    A group checks and decodes its members' samples together through these same pieces
    (worker/engine/grouped_eval.py).
    """
    if generated is not None and all(p.prompt in generated for p in probes):
        known = [generated[p.prompt] for p in probes]
    else:
        previous = previous or [p.answer for p in probes]
        right = score(model, encode(tokenizer, candidates(probes, previous)))[0].tolist()
        known = known_outputs(probes, previous, right)
        todo = [p for p, k in zip(probes, known) if k is None]
        if todo:
            decoded = iter(greedy(model, tokenizer, [p.prompt for p in todo],
                                  max_new_tokens=sample_tokens(tokenizer, todo)))
            known = [k if k is not None else next(decoded) for k in known]
    return as_samples(probes, known, judge)


def candidates(probes: list, previous: list[str]) -> list[tuple[str, str]]:
    """The answers samples() checks under teacher forcing: each probe's expected one, then its previous output."""
    return [(p.prompt, p.answer) for p in probes] + [(p.prompt, prev) for p, prev in zip(probes, previous)]


def known_outputs(probes: list, previous: list[str], right: list[bool]) -> list[str | None]:
    """Each probe's greedy output where a candidate is right (`right`: per candidate, in candidates()' order),
    else None: that probe must be decoded."""
    n = len(probes)
    return [p.answer if right[i] else prev if right[n + i] else None for i, (p, prev) in enumerate(zip(probes, previous))]


def sample_tokens(tokenizer, todo: list) -> int:
    """New tokens a sample decode takes: room for the longest expected answer and a few tokens more, enough to
    show a wrong answer."""
    return max(len(tokenizer(" " + p.answer, add_special_tokens=False)["input_ids"]) for p in todo) + 4


def as_samples(probes: list, outputs: list[str], judge=None) -> list[dict]:
    """The samples as reported: each probe with its output and whether it is right."""
    return [{"capability": p.capability, "prompt": p.prompt, "expected": p.answer, "output": out,
             "correct": judge.check(p.check, out) if judge and p.check else out == p.answer}
            for p, out in zip(probes, outputs)]
