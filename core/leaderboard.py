"""An assignment's leaderboard and grade export: pure functions over its attempts.

Each student's best attempt counts: the one with the best score (the instructor's `score` value
in the goal language, higher or lower better) among the attempts that qualify (finished, measured,
and meeting the instructor's `qualify` condition, e.g. `task >= 0.9`), ties broken by fewer
training steps, then by the earlier attempt. The grade export has one row per student on the
roster, attempts or not, in a shape LMS gradebooks import (map `username` and `grade`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from datetime import datetime

from .goals import check, fmt, score
from .results import Summary


@dataclass(frozen=True)
class Attempt:
    """One student's run on the assignment, as the leaderboard needs it."""

    id: int
    user_id: int
    username: str
    run_id: int
    status: str  # the run's
    summary: dict | None
    passed: bool | None  # None until checked
    created_at: datetime | None = None


@dataclass(frozen=True)
class Standing:
    rank: int
    user_id: int
    username: str
    attempt_id: int
    run_id: int
    score: float
    steps: int
    passed: bool | None

    @property
    def shown_score(self) -> str:
        return fmt(self.score)


@dataclass(frozen=True)
class Rules:
    score: str = "mean(retention)"
    higher_is_better: bool = True
    qualify: str | None = None  # a condition an attempt must meet to be ranked (None: every finished one)


def _ranked_value(attempt: Attempt, rules: Rules) -> tuple[float, int] | None:
    """(score, steps) of an attempt that may be ranked, else None."""
    if attempt.status != "succeeded" or not attempt.summary:
        return None
    summary = Summary.model_validate(attempt.summary)
    if rules.qualify and not check(rules.qualify, summary).passed:
        return None
    value = score(rules.score, summary)
    return None if value is None else (value, summary.steps)


def standings(attempts: list[Attempt], rules: Rules) -> list[Standing]:
    """The best qualifying attempt of each student, best first; equal score and steps share a rank."""
    best: dict[int, tuple[tuple, Standing]] = {}
    for attempt in attempts:
        measured = _ranked_value(attempt, rules)
        if measured is None:
            continue
        value, steps = measured
        key = (-value if rules.higher_is_better else value, steps, attempt.id)
        row = Standing(0, attempt.user_id, attempt.username, attempt.id, attempt.run_id, value, steps, attempt.passed)
        if attempt.user_id not in best or key < best[attempt.user_id][0]:
            best[attempt.user_id] = (key, row)
    ordered = sorted(best.values(), key=lambda pair: pair[0])
    out: list[Standing] = []
    for position, (key, row) in enumerate(ordered, 1):
        tied = out and (out[-1].score, out[-1].steps) == (row.score, row.steps)
        out.append(replace(row, rank=out[-1].rank if tied else position))
    return out


def anonymous(rows: list[Standing], viewer_id: int | None) -> list[Standing]:
    """Names hidden from students when the instructor chose so: each sees their own name and "student N"."""
    return [row if row.user_id == viewer_id else replace(row, username=f"student {row.rank}") for row in rows]


def _cell(text: str) -> str:
    """A spreadsheet would run a cell that starts like a formula; a leading quote keeps it text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@dataclass(frozen=True)
class GradeRow:
    """A student's gradebook columns (core/grading.py computes the score): their name and email when known,
    the score of the attempt the grade comes from, out of `max_score`, whether it was late, and when it
    was submitted (the attempt's start)."""

    name: str
    email: str
    score: float | None  # None: no attempt counts yet
    max_score: float
    late: bool
    submitted_at: datetime | None


def grades_csv(roster: list[tuple[int, str]], attempts: list[Attempt], rules: Rules, *,
               gradebook: dict[int, GradeRow] | None = None) -> str:
    """One row per student on the roster: username, grade (100 if any attempt passed the goal, else 0),
    passed, attempts, best score and its run.

    With `gradebook` (per user id) the columns an LMS gradebook imports come first: username, name, email,
    score, max_score, late (yes/no), submitted_at (ISO, UTC), and grade is the score as a percent of
    max_score."""
    best = {row.user_id: row for row in standings(attempts, rules)}
    counts: dict[int, int] = {}
    passed: set[int] = set()
    for attempt in attempts:
        counts[attempt.user_id] = counts.get(attempt.user_id, 0) + 1
        if attempt.passed:
            passed.add(attempt.user_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    lms = ["name", "email", "score", "max_score", "late", "submitted_at"] if gradebook is not None else []
    writer.writerow(["username", *lms, "grade", "passed", "attempts", "best_score", "best_run"])
    for user_id, username in sorted(roster, key=lambda r: r[1]):
        top = best.get(user_id)
        grade: float = 100 if user_id in passed else 0
        cells: list = []
        if gradebook is not None:
            row = gradebook[user_id]
            grade = round(100 * (row.score or 0) / row.max_score, 2) if row.max_score else 0
            cells = [_cell(row.name), _cell(row.email), "" if row.score is None else fmt(round(row.score, 2)),
                     fmt(row.max_score), "yes" if row.late else "no",
                     row.submitted_at.strftime("%Y-%m-%dT%H:%M:%SZ") if row.submitted_at else ""]
        writer.writerow([_cell(username), *cells, fmt(grade), "yes" if user_id in passed else "no",
                         counts.get(user_id, 0), fmt(top.score) if top else "", top.run_id if top else ""])
    return out.getvalue()
