"""The scenario as a form and as a URL query: built from the schema, so explanations live in one place.

A URL holds only the fields that differ from the defaults, so a link reproduces a scenario
exactly and stays short. Form posts and queries share one parser: repeated keys for the
LoRA targets, "false then true" pairs for checkboxes (the last value wins).
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from forgetlab.core.fields import declared_label
from forgetlab.core.scenario import Scenario, ScenarioError, allowed, choices, coerce, field_help

GROUPS = {"data": "Task data", "training": "Training", "method": "Method", "mitigations": "Mitigations",
          "run": "Run and measurement"}
HIDDEN = {"version"}  # not a choice a learner makes
NOT_FIELDS = {"preset", "queue", "sweep_field", "sweep_values", "single", "parent", "csrf_token"}  # not fields


def label_of(name: str) -> str:
    """What a person calls a field: the label its declaration gives (core/fields.py), else its name in words."""
    declared = declared_label(Scenario.model_fields[name]) if name in Scenario.model_fields else None
    return declared or name.replace("_", " ").capitalize()


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    group: str
    widget: str  # number | select | checkbox | multi
    description: str
    allowed: str
    default: Any
    choices: tuple = ()
    minimum: float | None = None
    maximum: float | None = None
    step: str = "any"


@lru_cache
def field_specs() -> tuple[FieldSpec, ...]:
    specs = []
    for name, info in Scenario.model_fields.items():
        if name in HIDDEN:
            continue
        annotation, help_, options = info.annotation, field_help(name), choices(name)
        if annotation is bool:
            widget = "checkbox"
        elif name == "suites":  # ids of the user's own uploads: typed (or pasted from /suites), not chosen
            widget = "text"
        elif typing.get_origin(annotation) is list:
            widget = "multi"
        elif options:
            widget = "select"
        else:
            widget = "number"
        specs.append(FieldSpec(name, label_of(name), (info.json_schema_extra or {}).get("group", "run"), widget, help_["description"],
                               allowed(name), help_["default"], tuple(options), help_.get("ge"), help_.get("le"),
                               "1" if annotation is int else "any"))
    return tuple(specs)


def grouped_specs() -> list[tuple[str, list[FieldSpec]]]:
    order = list(GROUPS)
    specs = sorted(field_specs(), key=lambda s: order.index(s.group) if s.group in order else len(order))
    return [(GROUPS.get(g, g), [s for s in specs if s.group == g]) for g in dict.fromkeys(s.group for s in specs)]


def parse_items(items: list[tuple[str, str]]) -> tuple[dict, dict[str, str]]:
    """Query or form pairs -> (scenario data, errors of fields that could not even be read)."""
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, text in items:
        if name in NOT_FIELDS:
            continue
        try:
            value = coerce(name, text)
        except ScenarioError as e:
            errors.update(e.errors)
            continue
        if name in ("lora_targets", "suites"):
            data.setdefault(name, [])
            data[name] += [v for v in value if v not in data[name]]
        elif name in Scenario.model_fields and Scenario.model_fields[name].annotation is not bool and text == "":
            errors[name] = "required: enter a value" + (f" ({allowed(name)})" if allowed(name) else "")
        else:
            data[name] = value
    return data, errors


def scenario_query(scenario: Scenario) -> str:
    """The fields that differ from the defaults, as a query string (lora_targets comma-joined)."""
    defaults = Scenario().model_dump(mode="json")
    pairs = []
    for name, value in scenario.model_dump(mode="json").items():
        if value == defaults[name]:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, list):
            value = ",".join(value)
        pairs.append((name, value))
    return urlencode(pairs, safe=",")


def raw_query(items: list[tuple[str, str]]) -> str:
    """What the user typed, when it is not a valid scenario yet (so the URL still holds their work)."""
    data, _ = parse_items(items)
    last = {k: v for k, v in items if k not in NOT_FIELDS and k != "lora_targets"}
    defaults = Scenario().model_dump(mode="json")
    pairs = [(k, v) for k, v in last.items() if str(v) != str(defaults.get(k)).lower() and str(v) != str(defaults.get(k))]
    if "lora_targets" in data and data["lora_targets"] != defaults["lora_targets"]:
        pairs.append(("lora_targets", ",".join(data["lora_targets"])))
    return urlencode(pairs, safe=",")


def form_values(data: dict) -> dict[str, Any]:
    """Values to show in the form: defaults overlaid with the given (possibly invalid) data."""
    return {**Scenario().model_dump(mode="json"), **data}
