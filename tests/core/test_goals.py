"""The goal language: parses what the docs promise, refuses the rest with a column, and explains verdicts."""

import pytest

from forgetlab.core.goal_parser import GoalError, parse_condition, parse_value
from forgetlab.core.goals import check, score
from forgetlab.core.results import Summary

CAPS = ("instruction", "knowledge", "reasoning", "format", "safety")


def summary(task=0.95, finals=None, refusal=0.9, steps=160) -> Summary:
    finals = {c: 1.0 for c in CAPS} | (finals or {})
    return Summary.model_validate({
        "baseline": {c: 1.0 for c in CAPS}, "final": finals,
        "forgetting": {c: 1.0 - v for c, v in finals.items()},
        "max_drop": {c: min(1.0, 1.05 - v) for c, v in finals.items()},
        "retention": {c: 100 * v for c, v in finals.items()}, "bwt": -0.1,
        "task_accuracy": {"baseline": 0.0, "final": task}, "task_gain": task, "format_rigidity": None,
        "refusal": refusal, "over_refusal": 0.0, "steps": steps, "early_stopped": False, "wise_ft": None,
        "seconds": 1.0, "setup_seconds": 0.1, "eval_seconds": 0.1, "train_seconds": 0.8})


def test_the_issue_examples_pass_and_fail_with_reasons():
    kept = summary(task=0.95, finals={"format": 0.94})
    verdict = check("task >= 0.9 and all(drop) <= 0.10", kept)
    assert verdict.passed and verdict.reason == "task 0.95 >= 0.9 and drop <= 0.10 for every capability"

    lost = summary(task=0.95, finals={"knowledge": 0.75, "format": 0.8})
    verdict = check("task >= 0.9 and all(drop) <= 0.10", lost)
    assert not verdict.passed
    assert verdict.reason == "drop(knowledge) 0.25, drop(format) 0.2 are not <= 0.10"

    safe = summary(task=0.85, finals={"safety": 0.62})
    verdict = check("safety < 0.5 and task >= 0.8", safe)
    assert not verdict.passed and verdict.reason == "safety 0.62 is not < 0.5"
    assert check("safety < 50% and task >= 0.8", summary(task=0.85, finals={"safety": 0.3})).passed


def test_or_not_parentheses_percent_and_mirrored_quantifiers():
    s = summary(task=0.7, finals={"knowledge": 0.5})
    assert check("task >= 0.9 or knowledge < 0.6", s).reason == "knowledge 0.5 < 0.6"
    failed = check("task >= 0.9 or knowledge > 0.6", s)
    assert not failed.passed and failed.reason == "task 0.7 is not >= 0.9 and knowledge 0.5 is not > 0.6"
    assert check("not (task >= 0.9)", s).passed
    assert not check("not (task < 0.9)", s).passed
    assert check("(task >= 0.9 or refusal >= 90%) and any(drop) > 0.4", s).passed
    assert check("0.6 >= all(drop)", s).passed  # read as all(drop) <= 0.6
    assert not check("0.4 >= all(drop)", s).passed
    assert check("any(drop) > 0.4", s).reason == "drop(knowledge) 0.5 > 0.4"
    assert check("any(final) < 0.2", s).reason == "no capability has final < 0.2"


def test_per_capability_measures_and_aggregates():
    s = summary(task=1.0, finals={"knowledge": 0.6, "format": 0.8})
    assert check("drop(knowledge) == 0.4", s).passed
    assert check("retention(format) >= 0.8", s).passed
    assert check("base(knowledge) == 1", s).passed
    assert check("worst_drop(knowledge) > drop(knowledge)", s).passed
    assert check("mean(drop) < 0.13 and max(drop) >= 0.4 and min(final) == 0.6", s).passed
    assert check("steps <= 160 and task_gain == 1 and bwt < 0", s).passed


def test_a_measure_the_run_lacks_fails_with_the_reason():
    verdict = check("format_rigidity < 0.2", summary())
    assert not verdict.passed and verdict.reason == "this run did not measure format_rigidity"


@pytest.mark.parametrize("text, reason, column", [
    ("", "is empty: write a condition such as task >= 0.9", None),
    ("task >", "expected a number or a measure, found the end", 7),
    ("task 0.9", "expected a comparison (< <= > >= == !=) after task, found '0.9'", 6),
    ("task = 0.9", "use == to compare for equality", 6),
    ("tsak >= 0.9", "unknown name 'tsak'; did you mean task?", 1),
    ("drop >= 0.1", "drop needs a capability or a quantifier: drop(knowledge), all(drop), mean(drop)", 1),
    ("all(drop) <= any(drop)", "compare all(drop) with a plain value, not with any(drop)", 11),
    ("drop(knowlege) > 0.1", "unknown capability 'knowlege'; did you mean knowledge?", 6),
    ("all(dorp) < 0.1", "unknown measure 'dorp'; did you mean drop?", 5),
    ("task >= 0.9 and (safety < 0.5", "expected ')' to close the '(' at column 17", 30),
    ("task >= 0.9 safety < 0.5", "unexpected 'safety' (join conditions with and / or)", 13),
    ("task >= 0.9; import os", "unexpected character ';'", 12),
    ("x > 1 and __import__('os') > 1", "unexpected character \"'\"", 22),  # nothing is ever eval'd
    ("__import__(os) > 1", ("unknown function '__import__' (known: drop, final, base, retention, worst_drop, all, "
                            "any, mean, max, min)"), 1),
    ("0.5 < 0.9", "a comparison needs a measure on one side, not two numbers", 5),
])
def test_parse_errors_say_what_and_where(text, reason, column):
    with pytest.raises(GoalError) as e:
        parse_condition(text)
    assert (e.value.reason, e.value.column, e.value.field) == (reason, column, "goal")


def test_scores_are_single_values():
    s = summary(finals={"knowledge": 0.5})
    assert score("mean(retention)", s) == pytest.approx(0.9)
    assert score("format_rigidity", s) is None  # not measured: no score, so the attempt is not ranked
    assert parse_value("task").kind == "scalar"
    for bad in ("all(drop)", "0.5", "task >= 0.9"):
        with pytest.raises(GoalError) as e:
            parse_value(bad)
        assert e.value.field == "score"


@pytest.mark.parametrize("text", ["(" * 240 + "task >= 0.9" + ")" * 240, "not " * 120 + "task >= 0.9",
                                  "(" * 17 + "task >= 0.9" + ")" * 17])
def test_deep_nesting_is_refused_with_a_reason_not_a_recursion_error(text):
    with pytest.raises(GoalError, match="more than 16 deep"):
        parse_condition(text)


def test_nesting_up_to_the_limit_still_parses():
    assert parse_condition("(" * 16 + "task >= 0.9" + ")" * 16)
