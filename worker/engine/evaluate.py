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

from forgetlab.core.probes import Suite
from forgetlab.core.suites import GROUP as OWN_SUITE

from .choice import ChoiceBatch, choose, encode_choices, is_choice
from .decode import budget, greedy, greedy_scored
from .encoding import IGNORE, Batch, encode
from .scoring import nll_parts, score


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


def evaluate(model, encoded: EncodedSuite, names: list[str] | None = None,
             scores: dict[str, tuple[torch.Tensor, ...]] | None = None, generated: dict | None = None) -> dict:
    """Accuracy and mean answer NLL per capability and task, format rigidity, refusal rates. Measured by a
    group for its members together (worker/engine/grouped_eval.py): `scores`, each name's score() of this model
    (exact-match suites); `generated`, its generate_all() (judged suites)."""
    suite = encoded.suite
    names = names or suite.capabilities + suite.tasks
    was_training = model.training
    model.eval()  # the reference NLLs too: a lone run's adapters may drop out in training mode
    try:
        if suite.judge is not None:
            return evaluate_judged(model, encoded, names, generated)
        return _evaluate_exact(model, encoded, names, scores)
    finally:
        model.train(was_training)


def _evaluate_exact(model, encoded: EncodedSuite, names: list[str], scores: dict | None) -> dict:
    """evaluate() for exact-match suites."""
    suite = encoded.suite
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
    return result


def decoded_names(encoded: EncodedSuite, names: list[str]) -> list[str]:
    """The names whose items a judged evaluation generates: all but those of multiple-choice items alone."""
    choices = encoded.choices or {}
    return [name for name in names if not (name in choices and is_choice(encoded.probes(name)))]


def evaluate_judged(model, encoded: EncodedSuite, names: list[str], generated: dict | None = None) -> dict:
    """evaluate() for judged suites: pass rates of greedy generations, reference NLL, and the same
    refusal and rigidity measures read from the generated text. `outputs` keeps every generation
    (prompt -> text), so samples need not decode again; `truncated` is each name's share of answers its
    budget cut before the model ended them. `nll_parts` splits each capability's reference
    NLL (see nll_parts(); a judged suite's references are sentences, an exact-match suite's one word).
    Multiple-choice items (`encoded.choices`) pass when their right option is the most likely (choice.py); a
    name of such items alone generates nothing, and its output is the option chosen. `generated`: the
    decoded_names()' generate_all() of this model, where a group decoded it (evaluate())."""
    suite, judge = encoded.suite, encoded.suite.judge
    result: dict = {"capabilities": {}, "tasks": {}, "outputs": {}, "items": {}, "nll_parts": {}}
    general: list[str] = []
    choices = encoded.choices or {}
    decoded = decoded_names(encoded, names)
    only_choices = [name for name in names if name not in decoded]
    if generated is None:
        generated = generate_all(model, encoded, decoded)
    result["truncated"] = {name: _share([cut for _, cut in rows]) for name, (rows, _) in generated.items()}
    for name in names:
        probes = encoded.probes(name)
        rows, scored = generated.get(name, ([], None))
        outputs = [text for text, _ in rows]
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
        # A generated name's references were read from the decode's cache; a multiple-choice name's are read here.
        _, nll, _, split = scored if scored is not None else score(model, encoded.batches[name], parts=True)
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


def generate_all(model, encoded: EncodedSuite, names: list[str]) -> dict[str, tuple[list[tuple[str, bool]], tuple]]:
    """Greedy answers to every probe of the names, decoded together (greedy_scored(): batches of up to
    DECODE_ROWS across names), each answer ending at its own name's budget of new tokens (the same text a
    decode of that name alone would give), as (text, cut): cut is True where the budget ended the answer
    before the model did; beside them, score(parts=True)'s columns of the name's references, teacher-forced
    from the prompts' KV cache that the decode fills anyway. Decoding a 135M model is bound by the number of
    steps, each of which reads every weight, more than by the batch's arithmetic: on an H200 one batch took a
    40-step run from 79 s to 26 s, and on 2 shared CPU cores 24 probes of six suites decoded in about half the
    time of one suite at a time, to the same texts."""
    return generate_copies(model, encoded, names)[0]


def generate_copies(model, encoded: EncodedSuite, names: list[str], routing=None,
                    members: list[int] | None = None) -> list[dict[str, tuple[list[tuple[str, bool]], tuple]]]:
    """generate_all() of each member of a group (`members`, through the group's `routing`:
    worker/engine/grouped_eval.py), in order: every member's copy of the prompts decoded in the same batches,
    each row through its own member's adapters. Without them, one model's: a list of one."""
    prompts = [p.prompt for name in names for p in encoded.probes(name)]
    copies = members or [None]
    if not prompts:  # every name is multiple choice: nothing to decode
        return [{} for _ in copies]
    limits = [encoded.budgets[name] for name in names for _ in encoded.probes(name)]
    references = [labels[labels != IGNORE].tolist() for name in names for labels in encoded.batches[name].labels]
    n = len(prompts)
    rows, scored = greedy_scored(model, encoded.tokenizer, prompts * len(copies), limits * len(copies),
                                 references * len(copies), routing,
                                 [m for m in members for _ in prompts] if members else None)
    out = []
    for k in range(len(copies)):
        split, start = {}, k * n
        for name in names:
            end = start + len(encoded.probes(name))
            split[name] = (rows[start:end], tuple(column[start:end] for column in scored))
            start = end
        out.append(split)
    return out


def _share(flags: list[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


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
