"""An assignment's scenario template: which fields a student may change, within what, and the check.

A template is a base scenario plus three kinds of rule:

- locked fields keep the base's value; the student sees it but cannot change it;
- hidden fields keep the base's value and are not shown at all: a student who sends one is refused the
  same way whatever the value, so the refusal tells nothing about it (the task and the tier cannot be
  hidden: a run's curves and summary name them);
- the tier is locked at the base's unless the instructor opens it with a range of tiers (`tier=a,b`),
  so a class does not drift onto a slow real model by default;
- ranges narrow what a student may pick for a field: `min`/`max` for a number, `choices` for a choice.

`apply` builds the scenario a student's attempt runs from what they sent, and refuses (ScenarioError,
naming each field) any change to a locked or hidden field and any value outside a range, before the
schema's own checks. The form greys locked fields out too, but that is only a courtesy: this is the rule.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from .goals import fmt
from .scenario import Scenario, ScenarioError, choices, coerce, field_help, parse

NOT_RULED = {"version"}  # never shown, never a student's choice
NEVER_HIDDEN = ("task", "tier")  # every run page and summary names them


class Range(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min: float | None = None
    max: float | None = None
    choices: list[Any] | None = None

    def describe(self) -> str:
        if self.choices is not None:
            return "this assignment allows: " + ", ".join(map(str, self.choices))
        return f"this assignment allows {fmt(self.min)} to {fmt(self.max)}"

    def admits(self, value: Any) -> bool:
        if self.choices is not None:
            values = value if isinstance(value, list) else [value]
            return all(v in self.choices for v in values)
        return self.min - 1e-12 <= value <= self.max + 1e-12


class Template(BaseModel):
    """What an assignment stores: the base scenario (every field) and its rules."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base: dict[str, Any]
    locked: list[str] = Field(default_factory=list)
    hidden: list[str] = Field(default_factory=list)
    ranges: dict[str, Range] = Field(default_factory=dict)

    def mode(self, name: str) -> str:
        if name in self.hidden or name in NOT_RULED:
            return "hidden"
        return "locked" if name in self.locked or (name == "tier" and name not in self.ranges) else "open"

    def shown_locked(self) -> list[str]:
        """The locked fields, the tier first when it is locked by default."""
        return (["tier"] if self.mode("tier") == "locked" and "tier" not in self.locked else []) + self.locked

    def scenario(self) -> Scenario:
        return Scenario.model_validate(self.base)


def _field_value(name: str, value: Any) -> Any:
    """A value as the schema reads it ("1e-3" -> 0.001), or the value itself if it does not read."""
    if isinstance(value, str):
        try:
            value = coerce(name, value)
        except ScenarioError:
            return value
    try:
        return TypeAdapter(Scenario.model_fields[name].annotation).validate_python(value)
    except ValidationError:
        return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-15)
        except (TypeError, ValueError):
            return False
    return a == b


def make_template(*, base: dict, locked: list[str] = (), hidden: list[str] = (),
                  ranges: dict[str, dict] | None = None) -> Template:
    """Check an instructor's template; ScenarioError names the bad part ("settings", "locked", "hidden",
    "ranges", or a field of the base scenario)."""
    errors: dict[str, str] = {}
    try:
        scenario = parse(base)
    except ScenarioError as e:
        raise ScenarioError({f"settings: {k}" if k != "settings" else k: v for k, v in e.errors.items()}) from None
    values = scenario.model_dump(mode="json")
    for key, names in (("locked", locked), ("hidden", hidden)):
        unknown = [n for n in names if n not in Scenario.model_fields or n in NOT_RULED]
        if unknown:
            errors[key] = f"not a scenario field: {', '.join(unknown)}"
    shown_anyway = [n for n in hidden if n in NEVER_HIDDEN]
    if shown_anyway:
        errors["hidden"] = f"a run's curves and summary name its {' and '.join(shown_anyway)}: lock it instead"
    both = set(locked) & set(hidden)
    if both:
        errors["hidden"] = f"a field is either locked or hidden, not both: {', '.join(sorted(both))}"
    checked: dict[str, Range] = {}
    for name, spec in (ranges or {}).items():
        try:
            checked[name] = _check_range(name, spec, values.get(name), scenario.tier)
        except ValueError as e:
            errors["ranges"] = f"{name}: {e}"
        if name in locked or name in hidden:
            errors["ranges"] = f"{name}: a locked or hidden field keeps one value; it needs no range"
    if errors:
        raise ScenarioError(errors)
    return Template(base=values, locked=list(dict.fromkeys(locked)), hidden=list(dict.fromkeys(hidden)),
                    ranges=checked)


def _check_range(name: str, spec: dict, base_value: Any, tier: str) -> Range:
    if name not in Scenario.model_fields or name in NOT_RULED:
        raise ValueError("not a scenario field")
    allowed = choices(name, tier)
    if spec.get("choices") is not None:
        if not allowed:
            raise ValueError("is a number: give it min..max, not choices")
        picked = [_field_value(name, c) for c in spec["choices"]]
        picked = [v for c in picked for v in (c if isinstance(c, list) else [c])]
        outside = [str(c) for c in picked if c not in allowed]
        if outside:
            raise ValueError(f"{', '.join(outside)} not among {', '.join(map(str, allowed))}")
        rule = Range(choices=list(dict.fromkeys(picked)))
    else:
        help_ = field_help(name)
        if "ge" not in help_ or "le" not in help_:
            raise ValueError(f"is a choice: list the allowed values ({', '.join(map(str, allowed))})")
        low, high = spec.get("min"), spec.get("max")
        if low is None or high is None:
            raise ValueError("give both ends: min..max")
        low, high = float(low), float(high)
        if low > high:
            raise ValueError(f"min {fmt(low)} is above max {fmt(high)}")
        if low < help_["ge"] or high > help_["le"]:
            raise ValueError(f"must lie within the field's own range, {fmt(help_['ge'])} to {fmt(help_['le'])}")
        rule = Range(min=low, max=high)
    if not rule.admits(base_value):
        raise ValueError(f"the starting value {base_value} is outside it; change the setting or the range")
    return rule


def parse_ranges(text: str) -> dict[str, dict]:
    """An instructor's ranges, one a line: `epochs=1..5` (numbers) or `method=full,lora` (choices)."""
    out: dict[str, dict] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, rest = (part.strip() for part in line.partition("="))
        if not sep or not name or not rest:
            raise ScenarioError({"ranges": f"line {number}: write field=min..max or field=a,b ({line!r})"})
        if ".." in rest:
            low, _, high = (part.strip() for part in rest.partition(".."))
            try:
                out[name] = {"min": float(low), "max": float(high)}
            except ValueError:
                raise ScenarioError({"ranges": f"line {number}: {name}: {rest!r} is not number..number"}) from None
        else:
            out[name] = {"choices": [c.strip() for c in rest.split(",") if c.strip()]}
    return out


def parse_settings(text: str) -> dict[str, Any]:
    """`field=value` lines (as `forgetlab run --set`), read by the schema's own coercion."""
    out: dict[str, Any] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = (part.strip() for part in line.partition("="))
        if not sep or not name:
            raise ScenarioError({"settings": f"line {number}: write field=value ({line!r})"})
        try:
            out[name] = coerce(name, value)
        except ScenarioError as e:
            raise ScenarioError({"settings": f"line {number}: {name}: {e.errors[name]}"}) from None
    return out


def names(text: str) -> list[str]:
    """A comma- or space-separated list of field names."""
    return [n for n in text.replace(",", " ").split() if n]


def apply(template: Template, student: dict[str, Any]) -> Scenario:
    """The scenario of a student's attempt: the base, with the student's values for open fields.

    A changed locked or hidden field, or a value outside the assignment's range, is refused with a
    ScenarioError naming the field (-> 422), and so is anything the schema itself refuses."""
    errors: dict[str, str] = {}
    for name, raw in student.items():
        if name not in Scenario.model_fields:
            continue  # the schema's parse below names it ("unknown field")
        value = _field_value(name, raw)
        mode = template.mode(name)
        if name in template.hidden:  # sent at all: the same refusal whatever the value, so it tells nothing
            errors[name] = "hidden by the assignment: students cannot change it"
        elif mode in ("locked", "hidden") and not _same(value, template.base.get(name)):
            shown = f" at {template.base.get(name)}" if mode == "locked" else ""
            errors[name] = f"{mode} by the assignment{shown}: students cannot change it"
        elif name in template.ranges and not _in_range(template.ranges[name], value):
            errors[name] = f"{value} is outside what {template.ranges[name].describe()}"
    merged = {**template.base, **{k: v for k, v in student.items() if k not in errors}}
    try:
        scenario = parse(merged)
    except ScenarioError as e:
        errors.update({k: v for k, v in e.errors.items() if k not in errors})
    if errors:
        raise ScenarioError(errors)
    return scenario


def _in_range(rule: Range, value: Any) -> bool:
    try:
        return rule.admits(value)
    except TypeError:  # not a number at all: the schema's parse names that
        return True


def form_rules(template: Template) -> dict[str, dict]:
    """Per field, what the builder shows in assignment mode: its mode and, when narrowed, its limits."""
    rules: dict[str, dict] = {}
    for name in Scenario.model_fields:
        rule: dict[str, Any] = {"mode": template.mode(name)}
        narrowed = template.ranges.get(name)
        if narrowed is not None:
            rule.update(narrowed.model_dump(exclude_none=True), allowed=narrowed.describe())
        rules[name] = rule
    return rules


def describe(template: Template) -> list[str]:
    """The rules a student may know, in words (hidden fields are not mentioned at all)."""
    lines = [f"{n} is locked at {template.base[n]}" for n in template.shown_locked()]
    return lines + [f"{n}: {r.describe()}" for n, r in template.ranges.items()]
