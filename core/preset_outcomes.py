"""What each synthetic preset promises (its declared outcome) and what the lab measured for each preset.

A declaration is structured, so it is checked, never just hoped: `forgetlab presets --measure` runs every
synthetic preset on 3 bases x 2 seeds and stores each run's outcome in core/presets_measured.json; a
preset's card is its explanation, then its declaration in words, then the measured ranges (none while the
file holds no runs).

SmolLM2's presets promise nothing (one CPU run takes minutes to half an hour); their cards quote the one run
per preset that `python -m bench.smollm2_mitigations --store` derived from the runs in
docs/results/smollm2-mitigations-cpu.jsonl into core/smollm2_measured.json, and only while that file's engine
version is the engine's: a card never quotes numbers the engine no longer gives. Torch-free: the web app shows
the cards.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

MEASURED_PATH = Path(__file__).resolve().parent / "presets_measured.json"
SMOLLM2_MEASURED_PATH = Path(__file__).resolve().parent / "smollm2_measured.json"
MEASURE_UNITS = [(base, seed) for base in range(3) for seed in range(2)]  # (base_seed, seed)
# The outcome of one run, as stored and as declarations read it.
METRICS = ("task", "mean_drop", "worst_drop", "format_rigidity", "refusal_fall")
LABELS = {"task": "task", "mean_drop": "mean drop", "worst_drop": "worst drop",
          "format_rigidity": "general answers in the task's template", "refusal_fall": "fall in refusals"}


@dataclass(frozen=True)
class Outcome:
    """A preset's promise. Each bound holds on every run; `forgets_less_than` compares the mean drop with
    another preset's run on the same base and seed."""

    task_min: float | None = None
    task_max: float | None = None
    mean_drop_min: float | None = None
    mean_drop_max: float | None = None
    worst_drop_max: float | None = None
    format_rigidity_min: float | None = None
    refusal_fall_min: float | None = None
    refusal_fall_max: float | None = None
    forgets_less_than: str | None = None

    def bounds(self) -> list[tuple[str, str, float]]:
        """(metric, ">=" or "<=", value) for every bound set."""
        out = []
        for metric in METRICS:
            for side, op in (("min", ">="), ("max", "<=")):
                value = getattr(self, f"{metric}_{side}", None)
                if value is not None:
                    out.append((metric, op, value))
        return out

    def failures(self, run: dict, other: dict | None = None) -> list[str]:
        """What of the promise one run breaks (empty: it holds). `other`: the compared preset's run."""
        out = []
        for metric, op, value in self.bounds():
            got = run.get(metric)
            if got is None or (got < value if op == ">=" else got > value):
                out.append(f"{LABELS[metric]} {got} is not {op} {value:g}")
        if self.forgets_less_than:
            if other is None:
                out.append(f"no run of {self.forgets_less_than} to compare with")
            elif run["mean_drop"] >= other["mean_drop"]:
                out.append(f"mean drop {run['mean_drop']:.3f} is not below {self.forgets_less_than}'s "
                           f"{other['mean_drop']:.3f}")
        return out

    def words(self, titles: dict[str, str]) -> str:
        parts = [f"{LABELS[m]} {'at least' if op == '>=' else 'at most'} {v:.2f}" for m, op, v in self.bounds()]
        if self.forgets_less_than:
            parts.append(f"forgets less than {titles.get(self.forgets_less_than, self.forgets_less_than)}")
        return "Promised on every run: " + "; ".join(parts) + "." if parts else ""


def outcome_of(summary: dict, base_refusal: float | None) -> dict:
    """One run's outcome (a Summary as a dict, and the base's refusal rate from the run's first point)."""
    drops = summary["forgetting"]
    refusal = summary.get("refusal")
    return {"task": summary["task_accuracy"]["final"], "mean_drop": sum(drops.values()) / len(drops),
            "worst_drop": max(drops.values()), "format_rigidity": summary.get("format_rigidity"),
            "refusal_fall": None if refusal is None or base_refusal is None else base_refusal - refusal}


def load_measured() -> dict:
    return json.loads(MEASURED_PATH.read_text()) if MEASURED_PATH.exists() else {"presets": {}}


def ranges(runs: list[dict]) -> dict[str, tuple[float, float]]:
    return {m: (min(v), max(v)) for m in METRICS if (v := [r[m] for r in runs if r.get(m) is not None])}


def measured_words(runs: list[dict]) -> str:
    """'In the lab's own runs (6: 3 bases × 2 seeds): task 0.94-1.00, ...' from stored runs."""
    if not runs:
        return ""
    r = ranges(runs)
    shown = [m for m in ("task", "mean_drop", "worst_drop") if m in r]
    shown += [m for m in ("format_rigidity", "refusal_fall") if m in r and r[m][1] >= 0.05]
    parts = [f"{LABELS[m]} {r[m][0]:.2f}" + (f"-{r[m][1]:.2f}" if f"{r[m][0]:.2f}" != f"{r[m][1]:.2f}" else "")
             for m in shown]
    return f"In the lab's own runs ({len(runs)}: 3 bases × 2 seeds): " + ", ".join(parts) + "."


def smollm2_outcome(summary: dict) -> dict:
    """One SmolLM2 run's outcome as its card quotes it: outcome_of()'s figures, how many items per capability
    its ends measured, and the least and most any capability's reference answers' NLL rose (nats): on 16
    items one item is 0.06 of accuracy, so the NLL is the steadier reading."""
    rises = [summary["final_nll"][c] - summary["baseline_nll"][c] for c in summary["baseline_nll"]]
    return {**outcome_of(summary, None), "items": min(len(v) for v in summary["final_items"].values()),
            "nll_rise_min": min(rises), "nll_rise_max": max(rises)}


def load_smollm2_measured(engine_version: int) -> dict[str, dict]:
    """Each measured SmolLM2 preset's stored run (see the module doc), or none when they are from another engine."""
    stored = json.loads(SMOLLM2_MEASURED_PATH.read_text()) if SMOLLM2_MEASURED_PATH.exists() else {}
    return stored.get("presets", {}) if stored.get("engine_version") == engine_version else {}


def smollm2_words(run: dict | None) -> str:
    """'Measured by the lab on a CPU (one run, seed 0, 16 items per capability): task 0.94, ...' or ''."""
    if not run:
        return ""
    parts = [f"task {run['task']:.2f}", f"mean drop {run['mean_drop']:.2f}", f"worst drop {run['worst_drop']:.2f}",
             f"the reference answers' NLL changed by {run['nll_rise_min']:+.2f} to {run['nll_rise_max']:+.2f} nats"]
    if (run.get("format_rigidity") or 0) >= 0.05:
        parts.append(f"{LABELS['format_rigidity']} {run['format_rigidity']:.2f}")
    return (f"Measured by the lab on a CPU (one run, seed {run['seed']}, {run['items']} items per capability, so one "
            f"item is {1 / run['items']:.2f} of accuracy): " + ", ".join(parts) + ".")
