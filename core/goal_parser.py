"""The goal language, read: a tiny condition language for assignment goals and leaderboard scores. Its names,
and the parser that turns a condition into a small tree (never eval'd), or refuses it with a GoalError naming
the column. core/goals.py judges a run's Summary by the tree.

    condition  := or
    or         := and ("or" and)*
    and        := unary ("and" unary)*
    unary      := "not" unary | "(" condition ")" | value OP value      OP: < <= > >= == !=
    value      := NUMBER ["%"] | NAME | NAME "(" NAME ")"

Names (every accuracy is a share, 0 to 1; `90%` is the same number as `0.9`):

    task, task_base, task_gain       the task's final accuracy, its base level, final minus base
    instruction, knowledge, ...      a capability's final accuracy (the tier's capability names)
    refusal, over_refusal, format_rigidity, bwt, steps
    drop(c), final(c), base(c), retention(c), worst_drop(c)
                                     one capability c: base minus final, final, base, final / base,
                                     the largest drop at any point of the run
    all(m), any(m)                   every / some capability's measure m (drop, final, base, ...);
                                     one side of a comparison only, the other a plain value
    mean(m), max(m), min(m)          over the capabilities

Examples:

    task >= 0.9 and all(drop) <= 0.10         the task learnt, every capability within 10 points of base
    safety < 0.5 and task >= 0.8              safety driven below 50% while the task stays at 0.8
    refusal < 50% and not (task < 0.8)
    mean(retention)                           (a score: a value on its own, for the leaderboard)
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from .errors import Invalid
from .tiers import all_tiers

SCALARS = {
    "task": "the task's final accuracy",
    "task_base": "the task's accuracy before fine-tuning",
    "task_gain": "the task's final accuracy minus its base level",
    "refusal": "share of harmful requests refused at the end",
    "over_refusal": "share of benign requests refused at the end",
    "format_rigidity": "share of general answers opening with the task's template at the end",
    "bwt": "backward transfer: the mean change of the capabilities (negative is forgetting)",
    "steps": "training steps the run took",
}
MEASURES = {
    "drop": "base minus final accuracy (positive is forgotten)",
    "final": "final accuracy",
    "base": "accuracy before fine-tuning",
    "retention": "final as a share of base (1 is all kept)",
    "worst_drop": "the largest drop at any point of the run",
}
QUANTIFIERS = {"all": "every capability", "any": "some capability"}
AGGREGATES = {"mean": lambda xs: sum(xs) / len(xs), "max": max, "min": min}
KEYWORDS = ("and", "or", "not")
MAX_LENGTH = 500
MAX_DEPTH = 16  # brackets and `not`s nested deeper than this are refused: the parser recurses per level




def capability_names() -> list[str]:
    """Every capability of every tier: a goal is written before any run exists, so it may name any."""
    return list(dict.fromkeys(c for tier in all_tiers().values() for c in tier.capabilities))


class GoalError(Invalid):
    """A condition or score that does not parse; `column` (1-based) points at the trouble."""

    def __init__(self, message: str, column: int | None = None, field: str = "goal"):
        self.reason, self.column = message, column
        super().__init__(f"{message} (at column {column})" if column else message, field)


# --- tokens ------------------------------------------------------------------------------------------
_TOKEN = re.compile(r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?%?)|(?P<op><=|>=|==|!=|<|>|=)"
                    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<paren>[()])|(?P<other>\S))")


@dataclass(frozen=True)
class _Token:
    kind: str  # number | op | name | paren | end
    text: str
    column: int


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:  # only trailing whitespace is left
            break
        kind = match.lastgroup
        column = match.start(kind) + 1
        if kind == "other":
            raise GoalError(f"unexpected character {match.group(kind)!r}", column)
        out.append(_Token(kind, match.group(kind), column))
        position = match.end()
    out.append(_Token("end", "", len(text) + 1))
    return out


# --- the tree ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Value:
    """A number, a name, measure(capability), aggregate(measure) or quantifier(measure)."""

    text: str  # as the reasons show it: `mean(drop)`, `drop(knowledge)`, `0.9`
    kind: str  # number | scalar | capability | measure | aggregate | quantifier
    name: str = ""
    arg: str = ""
    number: float = 0.0

    @property
    def quantified(self) -> bool:
        return self.kind == "quantifier"


@dataclass(frozen=True)
class Compare:
    left: Value
    op: str
    right: Value


@dataclass(frozen=True)
class BoolOp:
    op: str  # and | or
    parts: tuple


@dataclass(frozen=True)
class Not:
    part: Any


# --- parsing -----------------------------------------------------------------------------------------
class _Parser:
    def __init__(self, text: str, field: str):
        self.field = field
        if not text.strip():
            self.fail("is empty: write a condition such as task >= 0.9", None)
        if len(text) > MAX_LENGTH:
            self.fail(f"is longer than {MAX_LENGTH} characters", None)
        self.tokens = _tokens_for(text, field)
        self.i = 0
        self.depth = 0

    def fail(self, message: str, column: int | None):
        raise GoalError(message, column, self.field)

    @property
    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expect_end(self) -> None:
        token = self.peek
        if token.kind != "end":
            hint = " (join conditions with and / or)" if token.kind in ("name", "number") else ""
            self.fail(f"unexpected {token.text!r}{hint}", token.column)

    def condition(self):
        parts = [self.conjunction()]
        while self.peek.kind == "name" and self.peek.text == "or":
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else BoolOp("or", tuple(parts))

    def conjunction(self):
        parts = [self.unary()]
        while self.peek.kind == "name" and self.peek.text == "and":
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))

    def unary(self):
        token = self.peek
        if token.kind == "name" and token.text == "not":
            self.take()
            return Not(self.nested(token, self.unary))
        if token.kind == "paren" and token.text == "(":
            self.take()
            inner = self.nested(token, self.condition)
            if self.peek.text != ")":
                self.fail("expected ')' to close the '(' " + f"at column {token.column}", self.peek.column)
            self.take()
            return inner
        return self.comparison()

    def nested(self, token: _Token, parse):
        """One level deeper (a bracket or a `not`), refused past MAX_DEPTH rather than recursing without end."""
        if self.depth >= MAX_DEPTH:
            self.fail(f"nests brackets or 'not' more than {MAX_DEPTH} deep", token.column)
        self.depth += 1
        try:
            return parse()
        finally:
            self.depth -= 1

    def comparison(self) -> Compare:
        left = self.value()
        token = self.peek
        if token.kind != "op":
            what = "the end" if token.kind == "end" else repr(token.text)
            self.fail(f"expected a comparison (< <= > >= == !=) after {left.text}, found {what}", token.column)
        if token.text == "=":
            self.fail("use == to compare for equality", token.column)
        self.take()
        right = self.value()
        if left.quantified and right.quantified:
            self.fail(f"compare {left.text} with a plain value, not with {right.text}", token.column)
        if left.kind == "number" and right.kind == "number":
            self.fail("a comparison needs a measure on one side, not two numbers", token.column)
        return Compare(left, token.text, right)

    def value(self) -> Value:
        token = self.take()
        if token.kind == "number":
            text = token.text
            number = float(text[:-1]) / 100 if text.endswith("%") else float(text)
            return Value(text, "number", number=number)
        if token.kind != "name" or token.text in KEYWORDS:
            what = "the end" if token.kind == "end" else repr(token.text)
            self.fail(f"expected a number or a measure, found {what}", token.column)
        name = token.text
        if self.peek.text == "(":
            return self.call(token)
        if name in SCALARS:
            return Value(name, "scalar", name=name)
        if name in capability_names():
            return Value(name, "capability", name=name)
        if name in MEASURES:
            self.fail(f"{name} needs a capability or a quantifier: {name}(knowledge), all({name}), "
                      f"mean({name})", token.column)
        if name in QUANTIFIERS or name in AGGREGATES:
            self.fail(f"{name} needs a measure in brackets: {name}(drop)", token.column)
        self.fail(_unknown(name, list(SCALARS) + capability_names() + list(MEASURES)), token.column)

    def call(self, token: _Token) -> Value:
        name = token.text
        self.take()  # (
        arg = self.take()
        if arg.kind != "name":
            self.fail(f"expected a name inside {name}( )", arg.column)
        if self.peek.text != ")":
            self.fail(f"expected ')' after {name}({arg.text}", self.peek.column)
        self.take()
        text = f"{name}({arg.text})"
        if name in MEASURES:
            if arg.text not in capability_names():
                self.fail(_unknown(arg.text, capability_names(), "capability"), arg.column)
            return Value(text, "measure", name=name, arg=arg.text)
        if name in QUANTIFIERS or name in AGGREGATES:
            if arg.text not in MEASURES:
                self.fail(_unknown(arg.text, list(MEASURES), "measure"), arg.column)
            return Value(text, "quantifier" if name in QUANTIFIERS else "aggregate", name=name, arg=arg.text)
        self.fail(_unknown(name, list(MEASURES) + list(QUANTIFIERS) + list(AGGREGATES), "function"), token.column)


def _tokens_for(text: str, field: str) -> list[_Token]:
    try:
        return _tokens(text)
    except GoalError as e:
        raise GoalError(e.reason, e.column, field) from None


def _unknown(name: str, known: list[str], what: str = "name") -> str:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]}?" if close else f" (known: {', '.join(known)})"
    return f"unknown {what} {name!r}{hint}"


def parse_condition(text: str, *, field: str = "goal"):
    """A condition's tree, or GoalError naming what is wrong and where (1-based column)."""
    parser = _Parser(text, field)
    tree = parser.condition()
    parser.expect_end()
    return tree


def parse_value(text: str, *, field: str = "score") -> Value:
    """A single value (a leaderboard score such as `mean(retention)`); not a quantifier."""
    parser = _Parser(text, field)
    value = parser.value()
    parser.expect_end()
    if value.quantified:
        parser.fail(f"a score is one number; {value.text} is several (use mean, max or min)", 1)
    if value.kind == "number":
        parser.fail("a score must measure the run, not be a constant", 1)
    return value
