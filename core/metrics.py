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
