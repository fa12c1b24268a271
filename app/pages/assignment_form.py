"""The instructor's assignment form as text fields: its defaults, its values for an existing assignment (the
edit page), and its fields read back as the spec app/services/assignments.py builds an assignment from.

Settings and ranges are one `field=value` a line (as `forgetlab run --set`); locked and hidden fields a
list of names; budgets whole numbers; the due date an ISO date and time; points one `clause: points` a line."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from forgetlab.core import goal_parser
from forgetlab.core.assignments import names, parse_ranges, parse_settings
from forgetlab.core.goals import fmt
from forgetlab.core.grading import GradingError, parse_points
from forgetlab.core.ids import parse_id
from forgetlab.core.presets import PRESETS
from forgetlab.core.scenario import Scenario, ScenarioError
from forgetlab.core.store.models import Assignment

from ..services.assignments import template_of

FORM_DEFAULTS = {"title": "", "instructions": "", "preset": "break-it", "settings": "", "locked": "", "hidden": "",
                 "ranges": "", "goal": "", "score": "mean(retention)", "order": "higher", "qualify": "",
                 "attempt_budget": "", "run_budget": "", "due_at": "", "show_names": "", "points": "",
                 "late_policy": "hard", "late_penalty": "", "private_percent": ""}


def form_context(room, values: dict, errors: dict, editing=None) -> dict:
    """What templates/assignment_form.html needs; `editing`: the assignment being edited (None: a new one)."""
    return {"room": room, "values": values, "errors": errors, "presets": list(PRESETS.values()),
            "scalars": goal_parser.SCALARS, "measures": goal_parser.MEASURES, "editing": editing}


def posted_values(form) -> dict[str, str]:
    """The form's text fields as posted, over the defaults (anything else in the post is ignored)."""
    return {**FORM_DEFAULTS, **{k: v for k, v in form.items() if isinstance(v, str) and k in FORM_DEFAULTS}}


def form_values(assignment: Assignment) -> dict[str, str]:
    """The assignment form's fields for an existing assignment (the edit page): the template's settings that
    differ from the defaults, one `field=value` a line, so saving it unchanged stores the same template."""
    template = template_of(assignment)
    defaults = Scenario().model_dump(mode="json")

    def text(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return ",".join(map(str, value))
        return str(value)

    settings = [f"{k}={text(v)}" for k, v in template.base.items() if k != "version" and v != defaults.get(k)]
    ranges = [f"{k}={','.join(map(str, r.choices))}" if r.choices is not None else f"{k}={r.min:g}..{r.max:g}"
              for k, r in template.ranges.items()]
    return {"title": assignment.title, "instructions": assignment.instructions, "preset": "",
            "settings": "\n".join(settings), "locked": ", ".join(template.locked), "hidden": ", ".join(template.hidden),
            "ranges": "\n".join(ranges), "goal": assignment.goal, "score": assignment.score,
            "order": "higher" if assignment.higher_is_better else "lower", "qualify": assignment.qualify or "",
            "attempt_budget": str(assignment.attempt_budget or ""), "run_budget": str(assignment.run_budget or ""),
            "due_at": assignment.due_at.strftime("%Y-%m-%dT%H:%M") if assignment.due_at else "",
            "show_names": "true" if assignment.show_names else "",
            "points": "\n".join(f"{c}: {fmt(p)}" for c, p in (assignment.points or {}).items()),
            "late_policy": assignment.late_policy,
            "late_penalty": fmt(assignment.late_penalty) if assignment.late_penalty is not None else "",
            "private_percent": fmt(round(100 * assignment.private_share, 2)) if assignment.private_share else ""}


def spec_from_form(form: dict[str, str]) -> dict[str, Any]:
    """The assignment form's text fields as build_assignment's spec (ScenarioError for unreadable lines)."""
    errors: dict[str, str] = {}
    spec: dict[str, Any] = {k: form.get(k, "") for k in ("title", "instructions", "preset", "goal", "score",
                                                           "qualify")}
    spec["higher_is_better"] = form.get("order", "higher") != "lower"
    spec["show_names"] = form.get("show_names") == "true"
    spec["locked"], spec["hidden"] = names(form.get("locked", "")), names(form.get("hidden", ""))
    for key, parse in (("settings", parse_settings), ("ranges", parse_ranges)):
        try:
            spec[key] = parse(form.get(key, ""))
        except ScenarioError as e:
            errors.update(e.errors)
    for key in ("attempt_budget", "run_budget"):
        text = form.get(key, "").strip()
        value = parse_id(text) if text else None  # ASCII digits only: "²" is a digit to str.isdigit, not to int
        if text and (value is None or not 1 <= value <= 1000):
            errors[key] = "a whole number from 1 to 1000, or empty for no limit"
        spec[key] = value
    try:
        spec["points"] = parse_points(form.get("points", ""))
    except GradingError as e:
        errors[e.field] = e.message
    spec["late_policy"] = form.get("late_policy") or "hard"
    spec["private_percent"] = form.get("private_percent", "")  # read by core/holdout.py, which names it when bad
    penalty = form.get("late_penalty", "").strip()
    try:
        spec["late_penalty"] = float(penalty) if penalty else None
    except ValueError:
        errors["late_penalty"] = "a percent per day late, e.g. 10"
    due = form.get("due_at", "").strip()
    try:
        spec["due_at"] = datetime.fromisoformat(due) if due else None
    except ValueError:
        errors["due_at"] = "a date and time such as 2026-12-24T18:00"
    if errors:
        raise ScenarioError(errors)
    return spec
