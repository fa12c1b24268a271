"""Deciding across seeds: runs that differ only in their seed are one setting measured several times.

A seed is not a setting to pick: the best of three seeds is the luckiest, and a sweep that names it
the winner rewards noise. So the comparison and the sweep group runs whose configs are equal but
for `seed`, and judge each group by its mean over seeds with a 90% interval of that mean, the
seed count beside it. The interval is Student's t (mean ± t·sd/√n): with a handful of seeds a
bootstrap of the seeds cannot reach past their smallest and largest value, and would look surer
than three numbers allow. A group of one seed has a mean and no interval.

Pure and torch-free. A run here is a mapping {"id", "config", "summary"} as in core/compare.py.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence

from . import compare

LEVEL = 0.90
SEED_FIELDS = ("seed",)  # what may differ between the runs of one group
# Student's t quantile for a two-sided 90% interval (0.95 one-sided), by degrees of freedom.
T95 = {1: 6.314, 2: 2.920, 3: 2.353, 4: 2.132, 5: 2.015, 6: 1.943, 7: 1.895, 8: 1.860, 9: 1.833, 10: 1.812,
       11: 1.796, 12: 1.782, 13: 1.771, 14: 1.761, 15: 1.753, 16: 1.746, 17: 1.740, 18: 1.734, 19: 1.729,
       20: 1.725, 21: 1.721, 22: 1.717, 23: 1.714, 24: 1.711, 25: 1.708, 26: 1.706, 27: 1.703, 28: 1.701,
       29: 1.699, 30: 1.697}
Z95 = 1.6449


def t95(df: int) -> float:
    """t quantile 0.95 at `df` degrees of freedom; past the table, its expansion around the normal's."""
    if df in T95:
        return T95[df]
    z = Z95
    return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2)


def interval(values: Sequence[float], bounds: tuple[float | None, float | None] = (None, None)) -> dict:
    """{"mean", "lo", "hi", "n"}: the mean of the values and its 90% t interval (lo = hi = None for one),
    cut to `bounds`, what the measure can be (an accuracy's interval says nothing past 0 or 1)."""
    n = len(values)
    if n == 0:
        raise ValueError("an interval of no values")
    mean = sum(values) / n
    if n == 1:
        return {"mean": mean, "lo": None, "hi": None, "n": 1}
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = t95(n - 1) * sd / math.sqrt(n)
    floor, ceiling = bounds
    lo = mean - half if floor is None else max(floor, mean - half)
    hi = mean + half if ceiling is None else min(ceiling, mean + half)
    return {"mean": mean, "lo": lo, "hi": hi, "n": n}


ACCURACY = (0.0, 1.0)
CHANGE = (-1.0, 1.0)  # a difference of two accuracies
NLL = (0.0, None)


def setting_key(config: Mapping) -> str:
    """What a run's group is: its config without the seed, canonically written."""
    return json.dumps({k: v for k, v in config.items() if k not in SEED_FIELDS}, sort_keys=True, default=str)


def group(runs: Sequence[Mapping]) -> list[list[Mapping]]:
    """The runs in groups of equal settings (all but the seed), in order of each group's first run."""
    groups: dict[str, list[Mapping]] = {}
    for run in runs:
        groups.setdefault(setting_key(run["config"]), []).append(run)
    return list(groups.values())


def seeded(groups: Sequence[Sequence]) -> bool:
    """Some setting was run with more than one seed: decide on groups, not on single runs."""
    return any(len(g) > 1 for g in groups)


def summarize(runs: Sequence[Mapping]) -> dict:
    """One group's finished runs: each headline metric (core/compare.py's, and task gain) as an interval
    over its seeds, and the seeds."""
    rows = [compare.headline(r["summary"]) | {"task gain": r["summary"]["task_gain"]} for r in runs]
    bounds = {key: CHANGE if key in ("mean drop", "task gain") else ACCURACY for key in rows[0]}
    return {"seeds": [r["config"].get("seed") for r in runs], "n": len(runs),
            "metrics": {key: interval([row[key] for row in rows], bounds[key]) for key in rows[0]}}


def best(summaries: Sequence[Mapping]) -> int | None:
    """Which group (an index into `summaries`) learns the task with the least forgetting, judged on seed
    means: mean task accuracy at least compare.LEARNED, then the lowest mean drop (ties: higher task
    accuracy). None when no group learnt it."""
    learned = [i for i, s in enumerate(summaries) if s["metrics"]["task accuracy"]["mean"] >= compare.LEARNED]
    if not learned:
        return None
    return min(learned, key=lambda i: (summaries[i]["metrics"]["mean drop"]["mean"],
                                       -summaries[i]["metrics"]["task accuracy"]["mean"]))


def separated(winner: Mapping, other: Mapping, metric: str = "mean drop") -> bool:
    """The winner's interval lies wholly below the other's on `metric` (lower is better): a difference the
    seeds do not explain. False when either has one seed (no interval)."""
    a, b = winner["metrics"][metric], other["metrics"][metric]
    return a["hi"] is not None and b["lo"] is not None and a["hi"] < b["lo"]


def mean_curve(curves: Sequence[Mapping], keys: Sequence[str],
               bounds: tuple[float | None, float | None] = ACCURACY) -> dict:
    """The seeds' curves as one: {"steps": the union of their steps, key: {"mean", "lo", "hi": [...]}},
    each step over the seeds that measured it (None where none did; lo/hi None where only one did);
    `bounds`: what the measure can be (accuracy by default; NLL for answer-NLL curves)."""
    steps = sorted({s for c in curves for s in c["steps"]})
    at = [{s: i for i, s in enumerate(c["steps"])} for c in curves]
    out: dict = {"steps": steps}
    for key in keys:
        series = {"mean": [], "lo": [], "hi": []}
        for step in steps:
            values = [c[key][index[step]] for c, index in zip(curves, at)
                      if step in index and c[key][index[step]] is not None]
            point = interval(values, bounds) if values else {"mean": None, "lo": None, "hi": None}
            for name in series:
                series[name].append(point[name])
        out[key] = series
    return out
