"""How a claim's runs become a verdict: the measures of a checkpoint, the tests' effects, and the verdict
over units. Torch-free: it reads runs as dicts (a curve of checkpoints, a summary), as worker/engine/claims.py
keeps them.

A test turns one unit's runs into an effect (positive: the claim's direction), or into None when it cannot
be measured there (an arm never learnt the task). Across units a test reports the mean effect, a 90%
percentile-bootstrap interval, and a verdict against a minimum effect fixed before any claim ran:

- holds: the interval lies above 0 and the mean is at least the minimum effect;
- does not hold: the whole interval lies below the minimum effect (for an equivalence test: outside it);
- inconclusive: neither, or fewer than MIN_UNITS measurable units;
- not measurable: fewer than half the units could be measured.

A claim holds when all its tests hold; one test that does not hold (or cannot be measured) decides it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from forgetlab.core.metrics import bootstrap_ci, spearman, wise_pick

# Fixed before any claim was run; see docs/claims.md, "How a claim is judged".
MIN_EFFECT = 0.03  # accuracy points (0..1) for forgetting and learning; nats for SmolLM2's NLL
LEARNED = 0.8  # task accuracy at which an arm counts as having learnt the task (matched learning)
LEVEL = 0.90  # confidence level of the bootstrap intervals
MIN_UNITS = 5  # fewer measurable units than this: at best inconclusive
CORRELATION_MIN = 0.5  # claim 9: a strong monotone relation (Spearman), not merely a positive one


# --- measures of one checkpoint ---------------------------------------------------------------
def drop(run: dict, i: int = -1) -> float:
    """Mean accuracy drop of the general capabilities at checkpoint i, against the base (point 0)."""
    base, point = run["curve"][0]["caps"], run["curve"][i]["caps"]
    return sum(base[c] - point[c] for c in base) / len(base)


def nll_rise(run: dict, i: int = -1) -> float:
    """Mean rise of the general capabilities' reference-answer NLL at checkpoint i (nats per token)."""
    base, point = run["curve"][0]["nll"], run["curve"][i]["nll"]
    return sum(point[c] - base[c] for c in base) / len(base)


PRIMARY = {"synthetic": (drop, nll_rise), "smollm2": (nll_rise, drop)}  # (judged, reported beside it)


def learnt_at(run: dict, level: float = LEARNED) -> int | None:
    """Index of the first checkpoint whose task accuracy reaches `level`; None if none does."""
    return next((i for i, p in enumerate(run["curve"]) if p["task"] >= level), None)


def seen(run: dict, i: int) -> int:
    """Task examples seen by checkpoint i."""
    return run["curve"][i]["step"] * run["task_slots"]


# --- tests: (runs by arm label, measure) -> (effect or None, note) ----------------------------
Effect = Callable[[dict, Callable], tuple[float | None, str]]


def matched(better: str, worse: str) -> Effect:
    """Forgetting of `worse` minus `better`, each at its first checkpoint with task accuracy >= LEARNED."""
    def effect(runs: dict, measure: Callable) -> tuple[float | None, str]:
        ib, iw = learnt_at(runs[better]), learnt_at(runs[worse])
        if ib is None or iw is None:
            never = [label for label, i in ((better, ib), (worse, iw)) if i is None]
            return None, f"{' and '.join(never)} never reached task {LEARNED:.2f}"
        fb, fw = measure(runs[better], ib), measure(runs[worse], iw)
        return fw - fb, (f"at task >= {LEARNED:.2f}: {worse} {fw:.3f} (step {runs[worse]['curve'][iw]['step']}, "
                         f"{seen(runs[worse], iw)} task examples), {better} {fb:.3f} "
                         f"(step {runs[better]['curve'][ib]['step']}, {seen(runs[better], ib)})")
    return effect


def at_end(better: str, worse: str, both_learnt: bool = True) -> Effect:
    """Forgetting of `worse` minus `better` at the end of each run; both must have learnt the task, unless
    the claim is that one learns less (`both_learnt=False`)."""
    def effect(runs: dict, measure: Callable) -> tuple[float | None, str]:
        short = [label for label in (better, worse) if runs[label]["curve"][-1]["task"] < LEARNED and both_learnt]
        fb, fw = measure(runs[better]), measure(runs[worse])
        note = (f"end: {worse} {fw:.3f}, {better} {fb:.3f}; task {runs[worse]['curve'][-1]['task']:.2f} / "
                f"{runs[better]['curve'][-1]['task']:.2f}")
        return (None if short else fw - fb), note + (f" ({' and '.join(short)} below {LEARNED:.2f})" if short else "")
    return effect


def learning_area(more: str, less: str) -> Effect:
    """Mean task accuracy over the checkpoints (area under the learning curve) of `more` minus `less`."""
    def effect(runs: dict, measure: Callable) -> tuple[float | None, str]:
        area = {k: sum(p["task"] for p in runs[k]["curve"]) / len(runs[k]["curve"]) for k in (more, less)}
        return area[more] - area[less], f"mean task accuracy over the run: {more} {area[more]:.3f}, {less} {area[less]:.3f}"
    return effect


def bar(label: str, limit: float = 0.05) -> Effect:
    """limit minus the largest single capability drop (accuracy) or NLL rise at the end."""
    def effect(runs: dict, measure: Callable) -> tuple[float | None, str]:
        run = runs[label]
        key = "nll" if measure is nll_rise else "caps"
        base, end = run["curve"][0][key], run["curve"][-1][key]
        worst = max((end[c] - base[c]) if key == "nll" else (base[c] - end[c]) for c in base)
        return limit - worst, f"largest drop {worst:.3f}"
    return effect


def task_bar(label: str, level: float = 0.90) -> Effect:
    def effect(runs: dict, measure: Callable) -> tuple[float | None, str]:
        task = runs[label]["curve"][-1]["task"]
        return task - level, f"task {task:.2f}"
    return effect


def loss_tracks_forgetting(labels: tuple[str, ...]) -> Effect:
    """Spearman correlation, over every checkpoint of the labelled runs, of the fine-tuning (validation)
    loss's fall with forgetting: Kalajdzievski (2024) finds forgetting a function of the fine-tuning loss."""
    def effect(runs: dict, measure: Callable) -> tuple[float | None, str]:
        losses = [-p["val_loss"] for k in labels for p in runs[k]["curve"]]
        forgot = [measure(runs[k], i) for k in labels for i in range(len(runs[k]["curve"]))]
        rho = spearman(losses, forgot)
        return rho, f"Spearman {rho:+.2f} over {len(losses)} checkpoints"
    return effect


def wise_keeps(label: str) -> Effect:
    """WiSE-FT: forgetting of the fine-tuned model minus that of the smallest alpha keeping 90% of the task gain."""
    def effect(runs: dict, measure: Callable) -> tuple[float | None, str]:
        run = runs[label]
        curve = run["summary"]["wise_ft"]
        pick = wise_pick(curve)
        if pick is None or curve[-1]["task"] < LEARNED:
            return None, "the fine-tuned model did not learn the task"
        jumps = max(abs(b["task"] - a["task"]) for a, b in itertools.pairwise(curve))
        point = next(p for p in curve if p["alpha"] == pick["alpha"])
        if measure is nll_rise:
            base = curve[0]["nll"]

            def level(p):
                return sum(p["nll"][c] - base[c] for c in base) / len(base)
        else:
            base = curve[0]["capabilities"]

            def level(p):
                return sum(base[c] - p["capabilities"][c] for c in base) / len(base)
        return level(curve[-1]) - level(point), (f"alpha {pick['alpha']:g} keeps task {pick['task']:.2f} of "
                                                 f"{curve[-1]['task']:.2f}; largest task step between neighbouring "
                                                 f"alphas {jumps:.2f}")
    return effect


# --- verdicts -----------------------------------------------------------------------------------
def verdict(effects: list[float | None], kind: str, min_effect: float) -> dict:
    """Mean, 90% bootstrap interval and verdict of one test over its units (None: not measurable there)."""
    values = [e for e in effects if e is not None]
    out = {"units": len(effects), "measurable": len(values), "kind": kind, "min_effect": min_effect}
    if len(values) < max(1, (len(effects) + 1) // 2):
        return {**out, "mean": None, "ci": None, "verdict": "not measurable"}
    mean = sum(values) / len(values)
    lo, hi = bootstrap_ci(values, LEVEL)
    if kind == "equivalent":
        holds, fails = -min_effect < lo and hi < min_effect, lo >= min_effect or hi <= -min_effect
    else:
        holds, fails = lo > 0 and mean >= min_effect, hi < min_effect
    word = "holds" if holds else "does not hold" if fails else "inconclusive"
    if word != "not measurable" and len(values) < MIN_UNITS:
        word = "inconclusive"  # one or two seeds are no evidence either way
    return {**out, "mean": mean, "ci": [lo, hi], "verdict": word}


def combine(verdicts: list[str]) -> str:
    for word in ("not measurable", "does not hold", "inconclusive"):
        if word in verdicts:
            return word
    return "holds"
