"""HTML pages for one assignment: the builder in assignment mode with my attempts (/assignments/{id}),
starting an attempt, the leaderboard and the instructor's dashboard. Thin over app/services/.

Assignment mode of the builder: hidden fields are not in the form at all, locked ones are shown
read-only with their value, narrowed ones carry the assignment's limits. The server checks all of
it again when the attempt is posted (core/assignments.apply): the form is only a courtesy."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from forgetlab.app.auth import CurrentUser, InstructorUser, MemberUser
from forgetlab.app.deps import AssignmentDep, SessionDep, TaughtAssignmentDep
from forgetlab.app.http import FormDep
from forgetlab.app.services import assignments, attempts, queue
from forgetlab.core.assignments import apply, describe, form_rules
from forgetlab.core.errors import Invalid, NotFound
from forgetlab.core.ids import parse_id
from forgetlab.core.scenario import ScenarioError
from forgetlab.core.store import classes
from forgetlab.core.tiers import get_tier

from . import markup  # noqa: F401 (registers the markdown filter)
from .assignment_form import form_context, form_values, posted_values, spec_from_form
from .forms import grouped_specs, parse_items
from .render import page

router = APIRouter(include_in_schema=False)


def _context(request: Request, session, assignment, user, items: list[tuple[str, str]]) -> dict:
    template = assignments.template_of(assignment)
    data, errors = parse_items(items)
    scenario = None
    if not errors:
        try:
            scenario = apply(template, data)
        except ScenarioError as e:
            errors = e.errors
    rules = form_rules(template)
    tasks = list(get_tier(template.base["tier"]).tasks)
    groups = [(title, [f for f in specs if rules[f.name]["mode"] != "hidden"]) for title, specs in grouped_specs()]
    taught = assignments.teaches(session, assignment, user)
    rows, graded = attempts.as_seen(session, assignment=assignment, viewer=user, rows=attempts.attempt_rows(
        session, assignment=assignment, user_id=None if taught else user.id))
    used = classes.count_attempts(session, assignment_id=assignment.id, user_id=user.id)
    spent = assignment.attempt_budget is not None and used >= assignment.attempt_budget
    past_due = attempts.closed_for(session, assignment=assignment, user=user)
    return {"assignment": assignment, "room": classes.get_class(session, class_id=assignment.class_id),
            "groups": [g for g in groups if g[1]], "rules": rules,
            # a locked field always shows the assignment's value, even after a refused change
            "values": {**template.base, **data, **{n: template.base[n] for n in template.shown_locked()}},
            "errors": errors, "scenario": scenario, "described": describe(template), "taught": taught,
            "attempts": rows, "graded": graded, "split": bool(assignment.private_share),
            "final_open": attempts.final_open(session, assignment=assignment),
            "standings": {r.id: queue.standing(session, state=request.app.state, run=r) for _, r, _ in rows
                          if r.status == "queued"},
            "due": attempts.due_for(session, assignment=assignment, user_id=user.id), "active": any(not r.terminal for _, r, _ in rows), "used": used, "user": user,
            # no attempt is left, or it is too late: the button says so instead of leading to a refusal
            "closed": "You have used all your attempts." if spent else
                      f"No more attempts: {past_due}." if past_due else None,
            "hidden": template.hidden if taught else [], "tasks": tasks,
            # a task that is none of the tier's (a dataset the instructor set) is still shown, selected
            "extra_task": None if template.base["task"] in tasks else (template.base["task"],) * 2}


@router.get("/assignments/{assignment_id}")
def assignment_page(request: Request, session: SessionDep, user: CurrentUser, assignment: AssignmentDep):
    """The class's students and instructor: instructions, the goal, the builder in assignment mode and the
    attempts (mine; the instructor sees everyone's). htmx asks for the validation or attempts block."""
    items = list(request.query_params.multi_items())
    return page(request, "assignment.html", _context(request, session, assignment, user, items),
                blocks=("validation", "attempts"))


@router.post("/assignments/{assignment_id}/attempts")
def attempt_form(request: Request, session: SessionDep, user: MemberUser, assignment: AssignmentDep,
                 form: FormDep):
    """The class's students (and its instructor, to try it): a changed locked or hidden field or a value out
    of range is refused with 422, naming the field beside it; over a quota or budget 429 says why."""
    items = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    data, errors = parse_items(items)
    if not errors:
        try:
            attempt = attempts.start_attempt(session, state=request.app.state, assignment=assignment, user=user,
                                             data=data)
        except ScenarioError as e:
            errors = e.errors
    if errors:
        context = _context(request, session, assignment, user, items)
        context["errors"], context["scenario"], context["refused"] = errors, None, True
        return page(request, "assignment.html", context, status_code=422)
    # No query string: the page reads every query key as a scenario field (the form's live check).
    return RedirectResponse(f"/assignments/{assignment.id}#attempt-{attempt.id}", status_code=303)


def _attempt_key(attempt_id: str) -> int:
    key = parse_id(attempt_id)
    if key is None:
        raise NotFound(f"no attempt {attempt_id} at this assignment", "attempt")
    return key


@router.post("/assignments/{assignment_id}/attempts/{attempt_id}/void")
def void_form(request: Request, session: SessionDep, user: InstructorUser, assignment: TaughtAssignmentDep,
              attempt_id: str, form: FormDep):
    """The class's instructor only: void an attempt with a reason (it stays, no longer counts; logged)."""
    key = _attempt_key(attempt_id)
    reason = str(form.get("reason", ""))
    attempts.void(session, state=request.app.state, assignment=assignment, attempt_id=key, actor=user, reason=reason)
    return RedirectResponse(f"/assignments/{assignment.id}/dashboard?notice=Attempt+voided", status_code=303)


@router.post("/assignments/{assignment_id}/attempts/{attempt_id}/feedback")
def feedback_form(request: Request, session: SessionDep, user: InstructorUser, assignment: TaughtAssignmentDep,
                  attempt_id: str, form: FormDep):
    """The class's instructor only: leave (or clear) feedback on an attempt, Markdown shown escaped."""
    key = _attempt_key(attempt_id)
    text = str(form.get("feedback", ""))
    attempts.give_feedback(session, assignment=assignment, attempt_id=key, actor=user, text=text)
    return RedirectResponse(f"/assignments/{assignment.id}/dashboard?notice=Feedback+saved#attempt-{key}",
                            status_code=303)


@router.post("/assignments/{assignment_id}/extensions")
def extension_form(request: Request, session: SessionDep, user: InstructorUser,
                   assignment: TaughtAssignmentDep, form: FormDep):
    """The class's instructor only: a student's own due date (empty date: take it back)."""
    due = str(form.get("due_at", "")).strip()
    try:
        when = datetime.fromisoformat(due) if due else None
    except ValueError:
        raise Invalid("a date and time such as 2026-12-24T18:00", "due_at") from None
    attempts.extend(session, assignment=assignment, student=str(form.get("student", "")), due_at=when)
    return RedirectResponse(f"/assignments/{assignment.id}/dashboard?notice=Extension+saved", status_code=303)


@router.get("/assignments/{assignment_id}/edit")
def edit_assignment_page(request: Request, session: SessionDep, user: InstructorUser,
                         assignment: TaughtAssignmentDep):
    """The class's instructor only: the assignment form, filled in with the assignment as it is."""
    room = classes.get_class(session, class_id=assignment.class_id)
    return page(request, "assignment_form.html",
                form_context(room, form_values(assignment), {}, editing=assignment))


@router.post("/assignments/{assignment_id}/edit")
def edit_assignment_form(request: Request, session: SessionDep, user: InstructorUser,
                         assignment: TaughtAssignmentDep, form: FormDep):
    """The class's instructor only: 422 with every bad part named beside its field, else the assignment."""
    values = posted_values(form)
    try:
        assignments.edit_assignment(session, assignment=assignment, spec=spec_from_form(values))
    except ScenarioError as e:
        room = classes.get_class(session, class_id=assignment.class_id)
        return page(request, "assignment_form.html", form_context(room, values, e.errors, editing=assignment),
                    status_code=422)
    return RedirectResponse(f"/assignments/{assignment.id}", status_code=303)


@router.post("/assignments/{assignment_id}/delete")
def delete_assignment_form(request: Request, session: SessionDep, user: InstructorUser,
                           assignment: TaughtAssignmentDep):
    """The class's instructor only: delete the assignment and its attempts' rows (the runs stay their students';
    queued ones are cancelled)."""
    class_id = assignment.class_id
    assignments.delete_assignment(session, state=request.app.state, assignment=assignment)
    return RedirectResponse(f"/classes/{class_id}?notice=Assignment+deleted", status_code=303)


@router.get("/assignments/{assignment_id}/leaderboard")
def leaderboard_page(request: Request, session: SessionDep, user: CurrentUser, assignment: AssignmentDep):
    """The class's students and instructor; students see others' names only if the instructor chose so. With a
    held-out split, `?view=public|final`: students get the final one only after the due date (403 before)."""
    view = attempts.leaderboard_view(session, assignment=assignment, viewer=user,
                                     asked=request.query_params.get("view"))
    rows = attempts.leaderboard(session, assignment=assignment, viewer=user, view=view)
    return page(request, "leaderboard.html", {"assignment": assignment, "rows": rows, "user": user, "view": view,
                                              "final_at": attempts.final_at(session, assignment=assignment),
                                              "taught": assignments.teaches(session, assignment, user),
                                              "room": classes.get_class(session, class_id=assignment.class_id)})


@router.get("/assignments/{assignment_id}/dashboard")
def dashboard_page(request: Request, session: SessionDep, user: InstructorUser,
                   assignment: TaughtAssignmentDep):
    """The class's instructor only: roster, attempts, pass/fail, best runs (to compare) and the grade CSV."""
    board = attempts.dashboard(session, assignment=assignment)
    compare = "/compare?" + urlencode({"runs": ",".join(map(str, board["best_runs"]))}, safe=",") \
        if len(board["best_runs"]) >= 2 else None
    return page(request, "dashboard.html", {"assignment": assignment, **board, "compare": compare, "user": user,
                                            "notice": request.query_params.get("notice"),
                                            "room": classes.get_class(session, class_id=assignment.class_id)},
                blocks=("board",))
