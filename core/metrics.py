"""Forgetting metrics: pure functions of the per-checkpoint accuracy table.

The table is a list of {capability: accuracy} mappings, one per evaluation point, the first
being the base model (step 0). Following the continual-learning literature (e.g. Avalanche's
metrics), each capability plays the role of an "old task".
"""

from __future__ import annotations

Table = list[dict[str, float]]


def forgetting(table: Table) -> dict[str, float]:
    """Base minus final accuracy: positive means the capability was lost."""
    return {c: table[0][c] - table[-1][c] for c in table[0]}


def max_drop(table: Table) -> dict[str, float]:
    """Largest fall below base at any checkpoint (forgetting that recovered still counts here)."""
    return {c: max(0.0, table[0][c] - min(row[c] for row in table)) for c in table[0]}


def retention(table: Table) -> dict[str, float]:
    """Final accuracy as a percentage of the base's."""
    return {c: 100.0 * table[-1][c] / table[0][c] if table[0][c] > 0 else 100.0 for c in table[0]}


def bwt(table: Table) -> float:
    """Backward transfer: mean change of the old capabilities from before to after (negative = forgetting)."""
    return sum(table[-1][c] - table[0][c] for c in table[0]) / len(table[0])


def summarize(table: Table) -> dict:
    return {"baseline": dict(table[0]), "final": dict(table[-1]), "forgetting": forgetting(table),
            "max_drop": max_drop(table), "retention": retention(table), "bwt": bwt(table)}


FACT_GROUPS = ("rehearsed", "never rehearsed")


def group_split(baseline_items: dict, final_items: dict, groups: dict[str, list[str]],
                capability: str = "knowledge") -> dict[str, dict[str, float]] | None:
    """One capability's accuracy and mean NLL, base and final, per group of its probes: the knowledge
    facts mitigations may rehearse against those they never see. Items are [passed, nll] per probe in
    suite order (Summary.baseline_items); None when the groups or the items are not there."""
    names = groups.get(capability) or []
    before, after = baseline_items.get(capability), final_items.get(capability)
    if not before or not after or not set(FACT_GROUPS) <= set(names):
        return None
    out = {}
    for group in FACT_GROUPS:
        rows = [i for i, g in enumerate(names) if g == group and i < min(len(before), len(after))]
        out[group] = {"baseline": sum(bool(before[i][0]) for i in rows) / len(rows),
                      "final": sum(bool(after[i][0]) for i in rows) / len(rows),
                      "baseline_nll": sum(before[i][1] for i in rows) / len(rows),
                      "final_nll": sum(after[i][1] for i in rows) / len(rows)}
    return out


def bootstrap_ci(values: list[float], level: float = 0.90, resamples: int = 4000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean (a fixed seed: the same values give the same interval)."""
    import random

    if not values:
        return (float("nan"), float("nan"))
    rng, n = random.Random(seed), len(values)
    means = sorted(sum(rng.choice(values) for _ in range(n)) / n for _ in range(resamples))
    tail = (1.0 - level) / 2
    return means[int(tail * resamples)], means[min(resamples - 1, int((1.0 - tail) * resamples))]


def spearman(xs: list[float], ys: list[float]) -> float:
    """Spearman's rank correlation (average ranks for ties); 0 when either side is constant."""
    def ranks(v: list[float]) -> list[float]:
        order = sorted(range(len(v)), key=v.__getitem__)
        out = [0.0] * len(v)
        i = 0
        while i < len(v):
            j = i
            while j + 1 < len(v) and v[order[j + 1]] == v[order[i]]:
                j += 1
            for k in range(i, j + 1):
                out[order[k]] = (i + j) / 2
            i = j + 1
        return out

    rx, ry = ranks(xs), ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    vx, vy = sum((a - mx) ** 2 for a in rx), sum((b - my) ** 2 for b in ry)
    return cov / (vx * vy) ** 0.5 if vx > 0 and vy > 0 else 0.0


def wise_pick(curve: list[dict], keep: float = 0.9) -> dict | None:
    """WiSE-FT's useful point: the smallest alpha that keeps `keep` of the fine-tuned task gain, with its task
    accuracy and mean general accuracy. None without a curve or when fine-tuning gained nothing."""
    if not curve:
        return None
    points = sorted(curve, key=lambda p: p["alpha"])
    low, high = points[0]["task"], points[-1]["task"]
    if high <= low:
        return None
    pick = next(p for p in points if p["task"] - low >= keep * (high - low))
    def general(p: dict) -> float:
        return sum(p["capabilities"].values()) / len(p["capabilities"])

    return {"alpha": pick["alpha"], "task": pick["task"], "general": general(pick),
            "tuned_task": high, "tuned_general": general(points[-1]), "base_general": general(points[0])}
