"""Percentages as every page shows them: one rounding rule, here and in static/charts.js.

A share x (0.125) shows as x * 100 rounded half away from zero ("13%"; -0.125 is "-13"), computed as
floor(|x| * 100 + 0.5) with x's sign. static/charts.js's `percent()` is the same expression over the same
IEEE doubles, so a page's text and its charts never differ by one: Python's own f"{0.125:.0%}" rounds
half to even (12%) where JavaScript's Math.round(12.5) gives 13.
"""

from __future__ import annotations

import math


def percent(x: float) -> int:
    """x as whole percent (or percentage points), by the rule above."""
    whole = math.floor(abs(x) * 100 + 0.5)
    return -whole if x < 0 else whole


def pct(x: float | None) -> str:
    return "n/a" if x is None else f"{percent(x)}%"


def signed(change: float) -> str:
    """A change in points with its sign, "0" when it rounds to nothing (no "-0", no "+0")."""
    return f"{percent(change):+d}" if percent(change) else "0"


def pts(x: float) -> str:
    return f"{percent(abs(x))} points"


def signed_pts(change: float) -> str:
    return f"{signed(change)} pts"
