"""Classes, assignments, attempts and lessons: the actions the JSON API and the pages share, and the
dependencies that find a class or an assignment for the user asking (or 404).

Who may see what: a class and its assignments are seen by its instructor and its students, and by
nobody else (404, as for an unknown id: a class's existence is not told). Only the instructor who
teaches a class changes it (403 for its students).

An attempt is checked against the goal it was made under (stored on the attempt: the assignment's goal
may change later) once its run has ended, the first time anyone looks at it (the attempt list, the
leaderboard, the dashboard, the API): the verdict is then stored for good.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from forgetlab.app.services import runs as run_service
from forgetlab.app.auth import CurrentUser
from forgetlab.app.deps import SessionDep
from forgetlab.core import goals
from forgetlab.core.assignments import (
    Template,
    apply,
    make_template,
    names,
    parse_ranges,
    parse_settings,
)
from forgetlab.core.errors import Invalid
from forgetlab.core.ids import parse_id
from forgetlab.core.leaderboard import Attempt, Rules, Standing, anonymous, grades_csv, standings
from forgetlab.core.lessons import STARTER
from forgetlab.core.presets import PRESETS
from forgetlab.core.scenario import Scenario, ScenarioError
from forgetlab.core.store import classes
from forgetlab.core.store.models import (
    Assignment,
    AssignmentAttempt,
    Classroom,
    Lesson,
    Run,
    User,
    utcnow,
)


# --- finding things for the user asking -----------------------------------------------------------------------
def _class(session: Session, class_id: str, user: User) -> tuple[Classroom, bool]:
    key = parse_id(class_id)
    room = classes.get_class(session, class_id=key) if key is not None else None
    if room is None:
        raise HTTPException(404, f"no class {class_id}")
    teaches = room.instructor_id == user.id
    if not teaches and not classes.is_member(session, class_id=room.id, user_id=user.id):
        raise HTTPException(404, f"no class {class_id}")
    return room, teaches


def class_from_path(class_id: str, session: SessionDep, user: CurrentUser) -> Classroom:
    """A class the user teaches or has joined."""
    return _class(session, class_id, user)[0]


def taught_class_from_path(class_id: str, session: SessionDep, user: CurrentUser) -> Classroom:
    """A class the user teaches: its students get 403, others 404."""
    room, teaches = _class(session, class_id, user)
    if not teaches:
        raise HTTPException(403, "only the instructor of this class may do this")
    return room


def assignment_from_path(assignment_id: str, session: SessionDep, user: CurrentUser) -> Assignment:
    """An assignment of a class the user teaches or has joined."""
    key = parse_id(assignment_id)
    row = classes.get_assignment(session, assignment_id=key) if key is not None else None
    if row is None:
        raise HTTPException(404, f"no assignment {assignment_id}")
    try:
        _class(session, str(row.class_id), user)
    except HTTPException:
        raise HTTPException(404, f"no assignment {assignment_id}") from None
    return row


def taught_assignment_from_path(assignment: Annotated[Assignment, Depends(assignment_from_path)],
                                session: SessionDep, user: CurrentUser) -> Assignment:
    if not teaches(session, assignment, user):
        raise HTTPException(403, "only the instructor of this class may do this")
    return assignment


def lesson_from_path(lesson_id: str, session: SessionDep, user: CurrentUser) -> Lesson:
    """A lesson of a class the user teaches, or a published one of a class they joined."""
    key = parse_id(lesson_id)
    lesson = classes.get_lesson(session, lesson_id=key) if key is not None else None
    if lesson is None:
        raise HTTPException(404, f"no lesson {lesson_id}")
    try:
        _, teaching = _class(session, str(lesson.class_id), user)
    except HTTPException:
        raise HTTPException(404, f"no lesson {lesson_id}") from None
    if not teaching and not lesson.published:
        raise HTTPException(404, f"no lesson {lesson_id}")
    return lesson


ClassDep = Annotated[Classroom, Depends(class_from_path)]
TaughtClassDep = Annotated[Classroom, Depends(taught_class_from_path)]
AssignmentDep = Annotated[Assignment, Depends(assignment_from_path)]
TaughtAssignmentDep = Annotated[Assignment, Depends(taught_assignment_from_path)]
LessonDep = Annotated[Lesson, Depends(lesson_from_path)]


def teaches(session: Session, assignment: Assignment, user: User) -> bool:
    room = classes.get_class(session, class_id=assignment.class_id)
    return room is not None and room.instructor_id == user.id


def join_url(request: Request, room: Classroom) -> str:
    return str(request.base_url).rstrip("/") + f"/join/{room.join_code}"


# --- creating an assignment -------------------------------------------------------------------------------------
def build_assignment(session: Session, *, room: Classroom, spec: dict[str, Any]) -> Assignment:
    """Check everything an instructor sent (ScenarioError names every bad part) and store the assignment.

    `spec`: title, instructions, preset (optional), settings {field: value}, locked [names], hidden
    [names], ranges {field: {min, max} | {choices}}, goal, score, higher_is_better, qualify,
    attempt_budget, run_budget, due_at, show_names."""
    return classes.create_assignment(session, class_id=room.id, **assignment_fields(spec))


def assignment_fields(spec: dict[str, Any]) -> dict[str, Any]:
    """An assignment's columns from an instructor's spec (build_assignment's), or ScenarioError naming every
    bad part."""
    errors: dict[str, str] = {}
    title = (spec.get("title") or "").strip()
    if not title or len(title) > 200:
        errors["title"] = "give the assignment a title of 1 to 200 characters"
    preset = spec.get("preset") or None
    if preset is not None and preset not in PRESETS:
        errors["preset"] = f"no preset {preset!r} (see GET /api/presets)"
    template: Template | None = None
    if "preset" not in errors:
        base = {**(PRESETS[preset].overrides if preset else {}), **(spec.get("settings") or {})}
        try:
            template = make_template(base=base, locked=spec.get("locked") or [], hidden=spec.get("hidden") or [],
                                     ranges=spec.get("ranges") or {})
        except ScenarioError as e:
            errors.update(e.errors)
    for field, parse in (("goal", goals.parse_condition), ("qualify", goals.parse_condition),
                         ("score", goals.parse_value)):
        text = spec.get(field)
        if field == "goal" and not (text or "").strip():
            errors["goal"] = "write the goal as a condition, e.g. task >= 0.9 and all(drop) <= 0.10"
            continue
        if text:
            try:
                parse(text, field=field)
            except goals.GoalError as e:
                errors[field] = e.message
    if errors:
        raise ScenarioError(errors)
    return {"title": title, "instructions": spec.get("instructions") or "",
            "template": template.model_dump(mode="json"), "goal": spec["goal"].strip(),
            "score": (spec.get("score") or "mean(retention)").strip(),
            "higher_is_better": spec.get("higher_is_better", True),
            "qualify": (spec.get("qualify") or "").strip() or None, "attempt_budget": spec.get("attempt_budget"),
            "run_budget": spec.get("run_budget"), "due_at": spec.get("due_at"),
            "show_names": bool(spec.get("show_names"))}


# --- editing and deleting (the class's instructor) ----------------------------------------------------------------
def edit_assignment(session: Session, *, assignment: Assignment, spec: dict[str, Any]) -> Assignment:
    """Replace an assignment's template, goal, rules, budgets and text (ScenarioError names every bad part).

    Attempts already made do not change: each keeps its run, whose settings were fixed when it started (a
    new locked value binds only new attempts), and the goal it was made under. The goal may change at any
    time: ended attempts keep their verdicts, queued and running ones are judged by their own goal when they
    end, and only attempts made afterwards by the new one."""
    fields = assignment_fields(spec)
    classes.update_assignment(session, assignment_id=assignment.id, **fields)
    session.refresh(assignment)
    return assignment


def delete_assignment(request: Request, session: Session, *, assignment: Assignment) -> int:
    """Delete the assignment with its attempts' rows and lesson steps; its queued attempt runs are cancelled
    (they were only for it), running and ended ones stay their students' runs. Returns how many were cancelled."""
    cancelled = _cancel_queued(request, session, classes.active_attempt_runs(
        session, assignment_id=assignment.id, status=("queued",)))
    classes.delete_assignment(session, assignment_id=assignment.id)
    return cancelled


def rename_class(session: Session, *, room: Classroom, name: str) -> Classroom:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise Invalid("give the class a name of 1 to 200 characters", "name")
    classes.rename_class(session, class_id=room.id, name=name)
    session.refresh(room)
    return room


def delete_class(request: Request, session: Session, *, room: Classroom) -> int:
    """Delete the class: memberships, assignments, attempts' rows and lessons. Its queued attempt runs are
    cancelled; every run stays its student's. Returns how many runs were cancelled."""
    cancelled = _cancel_queued(request, session, classes.queued_class_runs(session, class_id=room.id))
    classes.delete_class(session, class_id=room.id)
    return cancelled


def _cancel_queued(request: Request, session: Session, run_ids: list[int]) -> int:
    return sum(run_service.cancel(session, state=request.app.state, run=session.get(Run, run_id)).status == "cancelled" for run_id in run_ids)


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
            "show_names": "true" if assignment.show_names else ""}


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
        if text and (not text.isdigit() or not 1 <= int(text) <= 1000):
            errors[key] = "a whole number from 1 to 1000, or empty for no limit"
        spec[key] = int(text) if text.isdigit() else None
    due = form.get("due_at", "").strip()
    try:
        spec["due_at"] = datetime.fromisoformat(due) if due else None
    except ValueError:
        errors["due_at"] = "a date and time such as 2026-12-24T18:00"
    if errors:
        raise ScenarioError(errors)
    return spec


# --- attempts -----------------------------------------------------------------------------------------------------
def template_of(assignment: Assignment) -> Template:
    return Template.model_validate(assignment.template)


def start_attempt(request: Request, session: Session, *, assignment: Assignment, user: User,
                  data: dict[str, Any]) -> AssignmentAttempt:
    """Run the student's scenario as an attempt: past due is 403; over a budget or quota OverQuota (429);
    a changed locked or hidden field or a value out of range ScenarioError naming it (422)."""
    if assignment.due_at is not None and utcnow() > assignment.due_at:
        raise HTTPException(403, f"this assignment was due on {assignment.due_at:%Y-%m-%d %H:%M} UTC")
    scenario = apply(template_of(assignment), data)
    run = run_service.submit(session, state=request.app.state, scenario=scenario, owner=user, assignment=assignment)  # checks the budgets
    return classes.attempt_of_run(session, run_id=run.id)


def goal_of(attempt: AssignmentAttempt, assignment: Assignment) -> str:
    """The goal an attempt is judged by: the one it was made under (the assignment's, for a row without one)."""
    return attempt.goal or assignment.goal


def verdict_of(goal: str, run: Run) -> tuple[bool, str] | None:
    """The goal's verdict on an ended run (None while it runs)."""
    if not run.terminal:
        return None
    if run.status == "succeeded" and run.summary:
        verdict = goals.check(goal, run.summary)
        return verdict.passed, verdict.reason
    if run.status == "cancelled":
        return False, "the run was cancelled before it finished"
    return False, f"the run failed: {run.error or 'no reason was given'}"


def attempt_rows(session: Session, *, assignment: Assignment, user_id: int | None = None
                 ) -> list[tuple[AssignmentAttempt, Run, User]]:
    """Attempts with runs and students, each ended one checked against the goal it was made under (stored the
    first time)."""
    rows = classes.attempts(session, assignment_id=assignment.id, user_id=user_id)
    for attempt, run, _ in rows:
        if attempt.passed is None and (found := verdict_of(goal_of(attempt, assignment), run)) is not None:
            classes.record_verdict(session, attempt_id=attempt.id, passed=found[0], reason=found[1])
            attempt.passed, attempt.reason = found
    return rows


def rules_of(assignment: Assignment) -> Rules:
    return Rules(score=assignment.score, higher_is_better=assignment.higher_is_better, qualify=assignment.qualify)


def _attempts(rows) -> list[Attempt]:
    return [Attempt(id=a.id, user_id=u.id, username=u.name, run_id=r.id, status=r.status, summary=r.summary,
                    passed=a.passed, created_at=a.created_at) for a, r, u in rows]


def leaderboard(session: Session, *, assignment: Assignment, viewer: User) -> list[Standing]:
    rows = standings(_attempts(attempt_rows(session, assignment=assignment)), rules_of(assignment))
    if assignment.show_names or teaches(session, assignment, viewer):
        return rows
    return anonymous(rows, viewer.id)


def grades(session: Session, *, assignment: Assignment) -> str:
    roster = [(u.id, u.name) for u in classes.roster(session, class_id=assignment.class_id)]
    return grades_csv(roster, _attempts(attempt_rows(session, assignment=assignment)), rules_of(assignment))


def dashboard(session: Session, *, assignment: Assignment) -> dict:
    """Per student on the roster: attempts, passed or not, best attempt; and the best runs to compare."""
    rows = attempt_rows(session, assignment=assignment)
    best = {s.user_id: s for s in standings(_attempts(rows), rules_of(assignment))}
    students = []
    for user in classes.roster(session, class_id=assignment.class_id):
        mine = [(a, r) for a, r, u in rows if u.id == user.id]
        students.append({"user": user, "attempts": mine, "passed": any(a.passed for a, _ in mine),
                         "best": best.get(user.id)})
    best_runs = [s.run_id for s in sorted(best.values(), key=lambda s: s.rank)][:8]  # /compare takes 2-8
    return {"students": students, "best_runs": best_runs, "total": len(rows),
            "passed": sum(1 for a, _, _ in rows if a.passed)}


# --- class-wide actions and lessons -------------------------------------------------------------------------------
def cancel_queued(request: Request, session: Session, *, room: Classroom) -> int:
    """Cancel every queued run of the class's attempts at once; returns how many were cancelled."""
    return _cancel_queued(request, session, classes.queued_class_runs(session, class_id=room.id))


def add_starter_lesson(session: Session, *, room: Classroom) -> Lesson:
    """The shipped presets' lesson (core/lessons.py) as assignments of this class, published."""
    ids = []
    for step in STARTER.steps:
        row = classes.create_assignment(
            session, class_id=room.id, title=step.title, instructions=step.instructions,
            template=step.template().model_dump(mode="json"), goal=step.goal, score=step.score,
            qualify=step.qualify, attempt_budget=step.attempt_budget, commit=False)
        ids.append(row.id)
    return classes.create_lesson(session, class_id=room.id, title=STARTER.title, description=STARTER.description,
                                 assignment_ids=ids, published=True)


def make_lesson(session: Session, *, room: Classroom, title: str, assignment_ids: list[int], description: str = "",
                published: bool = True) -> Lesson:
    title = title.strip()
    if not title or len(title) > 200:
        raise Invalid("give the lesson a title of 1 to 200 characters", "title")
    own = {a.id for a in classes.assignments_of(session, class_id=room.id)}
    if not assignment_ids:
        raise Invalid("pick at least one assignment, in the order students take them", "assignment_ids")
    strangers = [str(i) for i in assignment_ids if i not in own]
    if strangers:
        raise Invalid(f"not assignments of this class: {', '.join(strangers)}", "assignment_ids")
    return classes.create_lesson(session, class_id=room.id, title=title, description=description,
                                 assignment_ids=list(dict.fromkeys(assignment_ids)), published=published)
