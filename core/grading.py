"""Grades: points per goal clause, and the late policy. Pure functions over an attempt's summary and times.

- **Points**: an assignment may give each clause (a condition in the goal language) points, e.g.
  `{"task >= 0.9": 60, "all(drop) <= 0.10": 40}`; an attempt earns the points of every clause its
  finished run meets, so a near miss still scores. Without points an attempt earns 100 if it passed the
  goal, else 0 (all or nothing), out of 100.
- **Late policy**: `hard` refuses an attempt after the student's due date (the assignment's, or their
  extension); `penalty` accepts it and takes `late_penalty` percent of the points off per day late,
  each day started counting whole (a minute late is one day), down to 0; `none` accepts it and only
  flags it late. An attempt is late when it was started after the student's due date.
- **A student's score** is their best counted attempt's points after the late penalty (ties: the
  earlier); that attempt's start is `submitted_at`, and it is the one flagged late or not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from .goal_parser import GoalError, parse_condition
from .goals import check, fmt

POLICIES = ("hard", "penalty", "none")
ALL_OR_NOTHING = 100.0


class GradingError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def check_points(points: dict | None) -> dict[str, float] | None:
    """An instructor's {clause: points}: each clause a condition, each value from 0 to 1000; GradingError
    naming `points` otherwise. None or empty: all or nothing."""
    if not points:
        return None
    out: dict[str, float] = {}
    for clause, value in points.items():
        clause = str(clause).strip()
        try:
            parse_condition(clause, field="points")
        except GoalError as e:
            raise GradingError("points", f"{clause!r}: {e.message}") from None
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise GradingError("points", f"{clause!r}: points are a number, not {value!r}") from None
        if not 0 <= number <= 1000 or math.isnan(number):
            raise GradingError("points", f"{clause!r}: points are from 0 to 1000")
        out[clause] = number
    return out


def parse_points(text: str) -> dict[str, float] | None:
    """The form's points, one `clause: points` a line (the goal language has no colon)."""
    out: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        clause, sep, value = line.rpartition(":")
        if not sep or not clause.strip():
            raise GradingError("points", f"line {number}: write clause: points, e.g. task >= 0.9: 60 ({line!r})")
        out[clause.strip()] = value.strip()
    return check_points(out)


def check_late(policy: str, penalty: float | None) -> tuple[str, float | None]:
    if policy not in POLICIES:
        raise GradingError("late_policy", f"one of {', '.join(POLICIES)}")
    if policy == "penalty":
        if penalty is None or not 0 < penalty <= 100:
            raise GradingError("late_penalty", "a penalty policy takes a percent per day late, above 0 up to 100")
        return policy, float(penalty)
    return policy, None


def max_points(points: dict[str, float] | None) -> float:
    return sum(points.values()) if points else ALL_OR_NOTHING


def earned(points: dict[str, float] | None, summary: dict | None, passed: bool | None) -> float:
    """What an attempt earns before any late penalty (a run with no summary earns nothing)."""
    if not points:
        return ALL_OR_NOTHING if passed else 0.0
    if not summary:
        return 0.0
    return sum(value for clause, value in points.items() if check(clause, summary).passed)


def days_late(started: datetime, due: datetime | None) -> int:
    """Whole days started after the due date (0: on time)."""
    if due is None or started <= due:
        return 0
    return math.ceil((started - due).total_seconds() / 86400)


def after_penalty(value: float, days: int, policy: str, penalty: float | None) -> float:
    if policy != "penalty" or days == 0:
        return value
    return max(0.0, value * (1 - days * (penalty or 0) / 100))


@dataclass(frozen=True)
class Graded:
    """One attempt, graded."""

    attempt_id: int
    user_id: int
    started: datetime
    late_days: int
    score: float  # after the late penalty

    @property
    def late(self) -> bool:
        return self.late_days > 0

    @property
    def shown(self) -> str:
        return fmt(round(self.score, 2))


def best(graded: list[Graded]) -> Graded | None:
    """The attempt a student's grade comes from: the highest score, the earlier on a tie."""
    return min(graded, key=lambda g: (-g.score, g.started, g.attempt_id), default=None)
