"""Assignments: build one from what an instructor sent (every bad part named), edit it, delete it; who teaches it.

A class and its assignments are seen by its instructor and its students (app/deps.py finds them for the
user asking); only the instructor who teaches the class changes them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from forgetlab.core import goal_parser, grading, holdout
from forgetlab.core.assignments import Template, make_template
from forgetlab.core.presets import scenario_from
from forgetlab.core.scenario import ScenarioError
from forgetlab.core.store import accounts, classes
from forgetlab.core.store.models import Assignment, Classroom, User

from .runs import cancel_many, check_dataset_tasks


def teaches(session: Session, assignment: Assignment, user: User) -> bool:
    """Whether `user` is the instructor of the assignment's class."""
    room = classes.get_class(session, class_id=assignment.class_id)
    return room is not None and room.instructor_id == user.id


def template_of(assignment: Assignment) -> Template:
    return Template.model_validate(assignment.template)


def build_assignment(session: Session, *, room: Classroom, spec: dict[str, Any]) -> Assignment:
    """Check everything an instructor sent (ScenarioError names every bad part) and store the assignment.

    `spec`: title, instructions, preset (optional), settings {field: value}, locked [names], hidden
    [names], ranges {field: {min, max} | {choices}}, goal, score, higher_is_better, qualify,
    attempt_budget, run_budget, due_at, show_names, points ({clause: points}), late_policy, late_penalty,
    private_percent (the held-out split: the percent of probes kept private; empty or 0: none)."""
    return classes.create_assignment(session, class_id=room.id, **assignment_fields(session, spec, room),
                                     private_salt=holdout.new_salt())


def _template(session: Session, spec: dict[str, Any], instructor: User | None) -> Template:
    """The scenario template of a spec: the preset's and the settings' scenario (core's scenario_from), with
    the rules; ScenarioError names a bad preset `preset` and a bad setting `settings: FIELD`, a dataset task
    the instructor may not train on included (their students train on it as theirs: app/services/runs.py
    usable_dataset)."""
    try:
        base = scenario_from(spec.get("preset") or None, None, spec.get("settings") or {})
    except ScenarioError as e:
        raise ScenarioError({k if k == "preset" else f"settings: {k}": v for k, v in e.errors.items()}) from None
    template = make_template(base=base.model_dump(mode="json"), locked=spec.get("locked") or [],
                             hidden=spec.get("hidden") or [], ranges=spec.get("ranges") or {})
    try:
        check_dataset_tasks(session, [base], instructor)
    except ScenarioError as e:
        raise ScenarioError({f"settings: {k}": v for k, v in e.errors.items()}) from None
    return template


def assignment_fields(session: Session, spec: dict[str, Any], room: Classroom) -> dict[str, Any]:
    """An assignment's columns from an instructor's spec (build_assignment's), or ScenarioError naming every
    bad part."""
    errors: dict[str, str] = {}
    title = (spec.get("title") or "").strip()
    if not title or len(title) > 200:
        errors["title"] = "give the assignment a title of 1 to 200 characters"
    template: Template | None = None
    try:
        template = _template(session, spec, accounts.get_user(session, user_id=room.instructor_id))
    except ScenarioError as e:
        errors.update(e.errors)
    for field, parse in (("goal", goal_parser.parse_condition), ("qualify", goal_parser.parse_condition),
                         ("score", goal_parser.parse_value)):
        text = spec.get(field)
        if field == "goal" and not (text or "").strip():
            errors["goal"] = "write the goal as a condition, e.g. task >= 0.9 and all(drop) <= 0.10"
            continue
        if text:
            try:
                parse(text, field=field)
            except goal_parser.GoalError as e:
                errors[field] = e.message
    points, late = None, ("hard", None)
    try:
        points = grading.check_points(spec.get("points"))
    except grading.GradingError as e:
        errors[e.field] = e.message
    try:
        late = grading.check_late(spec.get("late_policy") or "hard", spec.get("late_penalty"))
    except grading.GradingError as e:
        errors[e.field] = e.message
    share = None
    try:
        share = holdout.check_percent(spec.get("private_percent"))
    except ValueError as e:
        errors["private_percent"] = str(e)
    if errors:
        raise ScenarioError(errors)
    return {"points": points, "late_policy": late[0], "late_penalty": late[1], "title": title, "instructions": spec.get("instructions") or "",
            "template": template.model_dump(mode="json"), "goal": spec["goal"].strip(),
            "score": (spec.get("score") or "mean(retention)").strip(),
            "higher_is_better": spec.get("higher_is_better", True),
            "qualify": (spec.get("qualify") or "").strip() or None, "attempt_budget": spec.get("attempt_budget"),
            "run_budget": spec.get("run_budget"), "due_at": spec.get("due_at"),
            "show_names": bool(spec.get("show_names")), "private_share": share}


def edit_assignment(session: Session, *, assignment: Assignment, spec: dict[str, Any]) -> Assignment:
    """Replace an assignment's template, goal, rules, budgets and text (ScenarioError names every bad part).

    Attempts already made do not change: each keeps its run, whose settings were fixed when it started (a
    new locked value binds only new attempts), and the goal it was made under. The goal may change at any
    time: ended attempts keep their verdicts, queued and running ones are judged by their own goal when they
    end, and only attempts made afterwards by the new one. So with the held-out split: each run keeps the split
    it was measured with (its salt never changes; a new share binds new attempts)."""
    fields = assignment_fields(session, spec, classes.get_class(session, class_id=assignment.class_id))
    if assignment.private_salt is None:  # a row from before the held-out split
        fields["private_salt"] = holdout.new_salt()
    classes.update_assignment(session, assignment_id=assignment.id, **fields)
    session.refresh(assignment)
    return assignment


def delete_assignment(session: Session, *, state, assignment: Assignment) -> int:
    """Delete the assignment with its attempts' rows and lesson steps; its queued attempt runs are cancelled
    (they were only for it), running and ended ones stay their students' runs. Returns how many were cancelled."""
    cancelled = cancel_many(session, state=state, run_ids=classes.active_attempt_runs(
        session, assignment_id=assignment.id, status=("queued",)))
    classes.delete_assignment(session, assignment_id=assignment.id)
    return cancelled
