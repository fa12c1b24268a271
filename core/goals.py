"""Judging a finished run by a goal or a score in the goal language (core/goal_parser.py reads them): pass or
fail with the reason in words ("safety 0.62 is not < 0.5"), or the score's number, from its core.results.Summary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .goal_parser import AGGREGATES, Compare, Not, Value, parse_condition, parse_value
from .results import Summary

OPERATORS = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
             ">=": lambda a, b: a >= b, "==": lambda a, b: math.isclose(a, b, abs_tol=1e-9),
             "!=": lambda a, b: not math.isclose(a, b, abs_tol=1e-9)}


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reason: str


def _scalar(summary: Summary, name: str) -> float:
    value = {"task": summary.task_accuracy.final, "task_base": summary.task_accuracy.baseline,
             "task_gain": summary.task_gain, "refusal": summary.refusal, "over_refusal": summary.over_refusal,
             "format_rigidity": summary.format_rigidity, "bwt": summary.bwt, "steps": summary.steps}[name]
    if value is None:
        raise ValueError(f"this run did not measure {name}")
    return float(value)


def _measure(summary: Summary, measure: str, capability: str) -> float:
    if capability not in summary.baseline:
        raise ValueError(f"this run did not measure {capability}")
    if measure == "drop":
        return summary.forgetting[capability]
    if measure == "final":
        return summary.final[capability]
    if measure == "base":
        return summary.baseline[capability]
    if measure == "worst_drop":
        return summary.max_drop[capability]
    return summary.retention[capability] / 100  # retention: the summary stores a percentage


def per_capability(value: Value, summary: Summary) -> dict[str, float]:
    """A quantifier's or aggregate's values: the measure for each capability of the run."""
    return {c: _measure(summary, value.arg, c) for c in summary.baseline}


def value_of(value: Value, summary: Summary) -> float:
    """A value for one run; ValueError says why it has none (a measure the run did not take)."""
    if value.kind == "number":
        return value.number
    if value.kind == "scalar":
        return _scalar(summary, value.name)
    if value.kind == "capability":
        return _measure(summary, "final", value.name)
    if value.kind == "measure":
        return _measure(summary, value.name, value.arg)
    if value.kind == "aggregate":
        values = list(per_capability(value, summary).values())
        if not values:
            raise ValueError("the run measured no capabilities")
        return AGGREGATES[value.name](values)
    raise ValueError(f"{value.text} stands for several values; compare it with a number")


def fmt(value: float) -> str:
    """A number as a reason shows it: 0.62, 0.001, 160."""
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    if abs(value) >= 0.001:
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return f"{value:.2g}"


def _said(value: Value, number: float) -> str:
    return value.text if value.kind == "number" else f"{value.text} {fmt(number)}"


def _compare(node: Compare, summary: Summary) -> Verdict:
    op = OPERATORS[node.op]
    if node.left.quantified or node.right.quantified:
        return _quantified(node, summary)
    a, b = value_of(node.left, summary), value_of(node.right, summary)
    said = f"{_said(node.left, a)} {{}}{node.op} {_said(node.right, b)}"
    return Verdict(True, said.format("")) if op(a, b) else Verdict(False, said.format("is not "))


MIRRORED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _quantified(node: Compare, summary: Summary) -> Verdict:
    if node.right.quantified:  # `0.1 >= all(drop)` reads as `all(drop) <= 0.1`
        node = Compare(node.right, MIRRORED[node.op], node.left)
    many, other = node.left, node.right
    limit = value_of(other, summary)
    values = per_capability(many, summary)
    if not values:
        return Verdict(False, "the run measured no capabilities")
    holds = {c: OPERATORS[node.op](v, limit) for c, v in values.items()}
    shown = f"{node.op} {_said(other, limit)}"
    if many.name == "all":
        bad = [f"{many.arg}({c}) {fmt(values[c])}" for c, ok in holds.items() if not ok]
        if not bad:
            return Verdict(True, f"{many.arg} {shown} for every capability")
        return Verdict(False, f"{', '.join(bad)} {'is' if len(bad) == 1 else 'are'} not {shown}")
    found = [f"{many.arg}({c}) {fmt(values[c])}" for c, ok in holds.items() if ok]
    if found:
        return Verdict(True, f"{', '.join(found)} {shown}")
    return Verdict(False, f"no capability has {many.arg} {shown}")


def evaluate(tree, summary: Summary) -> Verdict:
    if isinstance(tree, Compare):
        try:
            return _compare(tree, summary)
        except ValueError as e:  # a measure this run lacks fails the goal, saying so
            return Verdict(False, str(e))
    if isinstance(tree, Not):
        inner = evaluate(tree.part, summary)  # its reason says what holds; `not` only flips the verdict
        return Verdict(not inner.passed, inner.reason if not inner.passed else f"{inner.reason}, which the goal rules out")
    verdicts = [evaluate(part, summary) for part in tree.parts]
    if tree.op == "and":
        failed = [v.reason for v in verdicts if not v.passed]
        return Verdict(False, "; ".join(failed)) if failed else Verdict(True, " and ".join(v.reason for v in verdicts))
    passed = [v.reason for v in verdicts if v.passed]
    return Verdict(True, passed[0]) if passed else Verdict(False, " and ".join(v.reason for v in verdicts))


def check(condition: str, summary: Summary | dict) -> Verdict:
    """Does a finished run meet a goal? Pass or fail, with the reason in words."""
    if isinstance(summary, dict):
        summary = Summary.model_validate(summary)
    return evaluate(parse_condition(condition), summary)


def score(text: str, summary: Summary | dict) -> float | None:
    """A leaderboard score for one run, or None when the run lacks what the score measures."""
    if isinstance(summary, dict):
        summary = Summary.model_validate(summary)
    try:
        return value_of(parse_value(text), summary)
    except ValueError:
        return None
