"""Grading rules: points per clause, whole days late, the penalty, the attempt a grade comes from."""

from datetime import datetime, timedelta

import pytest

from forgetlab.core import grading
from tests.core.test_goals import summary

DUE = datetime(2026, 12, 1, 12, 0)


def test_points_are_earned_per_clause_met():
    points = grading.parse_points("task >= 0.9: 60\n# a comment\nall(drop) <= 0.10: 40\n")
    assert points == {"task >= 0.9": 60.0, "all(drop) <= 0.10": 40.0} and grading.max_points(points) == 100
    met = summary(task=0.95, finals={"knowledge": 0.5}).model_dump(mode="json")  # knowledge fell far
    assert grading.earned(points, met, passed=False) == 60
    assert grading.earned(None, met, passed=True) == 100 and grading.earned(None, None, passed=False) == 0
    assert grading.earned(points, None, passed=None) == 0  # a failed run earns nothing


@pytest.mark.parametrize("text, words", [("task >= 0.9", "write clause: points"), ("tsak > 1: 5", "tsak"),
                                         ("task > 1: lots", "a number"), ("task > 1: 5000", "0 to 1000")])
def test_bad_points_name_the_trouble(text, words):
    with pytest.raises(grading.GradingError) as e:
        grading.parse_points(text)
    assert e.value.field == "points" and words in e.value.message


def test_days_late_count_each_day_started_and_the_penalty_floors_at_zero():
    assert grading.days_late(DUE, DUE) == 0 and grading.days_late(DUE - timedelta(hours=1), DUE) == 0
    assert grading.days_late(DUE + timedelta(minutes=1), DUE) == 1
    assert grading.days_late(DUE + timedelta(hours=36), DUE) == 2 and grading.days_late(DUE, None) == 0
    assert grading.after_penalty(100, 2, "penalty", 10) == 80
    assert grading.after_penalty(100, 20, "penalty", 10) == 0
    assert grading.after_penalty(100, 2, "none", None) == 100
    with pytest.raises(grading.GradingError):
        grading.check_late("penalty", None)
    assert grading.check_late("none", 5) == ("none", None)


def test_the_grade_comes_from_the_best_attempt_the_earlier_on_a_tie():
    a = grading.Graded(1, 7, DUE, 0, 60)
    b = grading.Graded(2, 7, DUE + timedelta(days=1), 1, 90)
    c = grading.Graded(3, 7, DUE + timedelta(days=2), 2, 90)
    assert grading.best([a, b, c]) is b and grading.best([]) is None and b.late and not a.late
