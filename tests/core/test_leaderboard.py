"""Leaderboard: best qualifying attempt per student by the chosen score, ties by fewer steps; the grade CSV."""

import csv
import io

from forgetlab.core.leaderboard import Attempt, Rules, anonymous, grades_csv, standings
from tests.core.test_goals import summary


def attempt(id, user, retention, task=1.0, steps=160, status="succeeded", passed=True):
    s = summary(task=task, finals={"knowledge": retention}, steps=steps).model_dump(mode="json")
    return Attempt(id=id, user_id=user, username=f"user{user}", run_id=100 + id, status=status,
                   summary=s if status == "succeeded" else None, passed=passed)


ATTEMPTS = [
    attempt(1, 1, 0.5), attempt(2, 1, 0.9),  # user 1: the second attempt is better
    attempt(3, 2, 1.0, task=0.5, passed=False),  # best retention, but misses the task threshold
    attempt(4, 2, 0.7),
    attempt(5, 3, 0.9, steps=120),  # ties user 1 on score with fewer steps: ranks above
    attempt(6, 4, 1.0, status="running", passed=None),  # not finished: not ranked
]


def test_best_attempt_per_student_among_qualifying_ones():
    rows = standings(ATTEMPTS, Rules(score="mean(retention)", qualify="task >= 0.9"))
    assert [(r.rank, r.user_id, r.attempt_id) for r in rows] == [(1, 3, 5), (2, 1, 2), (3, 2, 4)]
    assert rows[0].shown_score == "0.98"


def test_without_a_threshold_and_lower_is_better():
    rows = standings(ATTEMPTS, Rules(score="max(drop)", higher_is_better=False))
    assert [(r.user_id, r.attempt_id) for r in rows] == [(2, 3), (3, 5), (1, 2)]
    tied = standings([attempt(1, 1, 0.9), attempt(2, 2, 0.9)], Rules())
    assert [r.rank for r in tied] == [1, 1]


def test_names_can_be_hidden_from_students():
    rows = anonymous(standings(ATTEMPTS, Rules(qualify="task >= 0.9")), viewer_id=1)
    assert [r.username for r in rows] == ["student 1", "user1", "student 3"]


def test_grade_csv_has_every_student_on_the_roster():
    roster = [(1, "user1"), (2, "user2"), (5, "=cmd|' /C calc'!A0")]
    text = grades_csv(roster, ATTEMPTS, Rules(qualify="task >= 0.9"))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0] == {"username": "'=cmd|' /C calc'!A0", "grade": "0", "passed": "no", "attempts": "0",
                       "best_score": "", "best_run": ""}
    assert rows[1] == {"username": "user1", "grade": "100", "passed": "yes", "attempts": "2",
                       "best_score": "0.98", "best_run": "102"}
    assert rows[2]["attempts"] == "2" and rows[2]["best_run"] == "104"
