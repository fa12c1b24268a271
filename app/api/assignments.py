"""Assignments: read one, start an attempt (student), list attempts, the leaderboard, the grade CSV, edit or
delete one, void an attempt (instructor). Actions live in app/services/assignments.py and attempts.py."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from forgetlab.app.auth import CurrentUser, InstructorUser, MemberUser
from forgetlab.app.deps import AssignmentDep, SessionDep, TaughtAssignmentDep
from forgetlab.app.http import invalid
from forgetlab.app.services import assignments, attempts, queue
from forgetlab.core import grading
from forgetlab.core.assignments import describe
from forgetlab.core.ids import MAX_ID
from forgetlab.core.scenario import ScenarioError
from forgetlab.core.store.models import Run

from .classes import AssignmentIn

router = APIRouter(prefix="/assignments", tags=["assignments"])
ERRORS = {404: {"description": "Unknown assignment, or not one of your classes'"},
          422: {"description": "A locked or hidden field changed, or a value outside the allowed range"},
          429: {"description": "Over a quota or budget (Retry-After says when to try again)"}}
TAUGHT = {404: ERRORS[404], 403: {"description": "Only the class's instructor may do this"},
          422: {"description": "A bad part of the assignment, named"}}


def assignment_out(session, assignment, user) -> dict:
    """What the user may know: students do not see hidden fields or their values."""
    template = assignments.template_of(assignment)
    taught = assignments.teaches(session, assignment, user)
    base = {k: v for k, v in template.base.items() if taught or template.mode(k) != "hidden"}
    out = {"id": assignment.id, "class_id": assignment.class_id, "title": assignment.title,
           "instructions": assignment.instructions, "goal": assignment.goal, "score": assignment.score,
           "higher_is_better": assignment.higher_is_better, "qualify": assignment.qualify,
           "attempt_budget": assignment.attempt_budget, "run_budget": assignment.run_budget,
           "due_at": assignment.due_at, "show_names": assignment.show_names, "scenario": base,
           "points": assignment.points, "max_score": grading.max_points(assignment.points),
           "late_policy": assignment.late_policy, "late_penalty": assignment.late_penalty,
           "private_percent": round(100 * assignment.private_share, 2) if assignment.private_share else None,
           "locked": template.shown_locked(), "ranges": {k: r.model_dump(exclude_none=True) for k, r in template.ranges.items()},
           "rules": describe(template), "url": f"/assignments/{assignment.id}"}
    if taught:
        out["hidden"] = template.hidden
    return out


def attempt_out(attempt, run, user, assignment, grade=None) -> dict:
    """`goal`: the goal the attempt is judged by, the one it was made under (the assignment's may differ now).
    `number`: the student's own count (their 1st, 2nd, ...); `voided`: voided by the instructor (it stays, and
    no longer counts), with `void_reason`. `score` (after any late penalty, of `max_score`) and `late` once
    graded; `feedback`: the instructor's, Markdown."""
    return {"id": attempt.id, "number": getattr(attempt, "number", None), "student": user.name, "run_id": run.id,
            "status": run.status, "goal": attempts.goal_of(attempt, assignment), "passed": attempt.passed,
            "reason": attempt.reason, "created_at": attempt.created_at, "voided": attempt.voided,
            "void_reason": attempt.void_reason, "score": grade.score if grade else None,
            "max_score": grading.max_points(assignment.points), "late": grade.late if grade else None,
            "feedback": attempt.feedback, "feedback_at": attempt.feedback_at,
            "url": f"/runs/{run.id}", "events": f"/api/runs/{run.id}/events"}


def one_attempt_out(session, assignment, attempt, viewer) -> dict:
    """attempt_out of one attempt, numbered among its student's, as `viewer` may see it (attempts.as_seen)."""
    rows, grades = attempts.as_seen(session, assignment=assignment, viewer=viewer,
                                    rows=attempts.attempt_rows(session, assignment=assignment, user_id=attempt.user_id))
    return next(attempt_out(a, r, u, assignment, grades.get(a.id)) for a, r, u in rows if a.id == attempt.id)


class VoidIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="Why; kept in the assignment's audit log")


class FeedbackIn(BaseModel):
    feedback: str = Field(max_length=10_000, description="Markdown (HTML in it is shown as text); empty clears it")


class ExtensionIn(BaseModel):
    student: str = Field(min_length=1, max_length=64, description="The student's login name")
    due_at: datetime | None = Field(None, description="Their own due date, UTC; null removes the extension")


@router.get("/{assignment_id}", responses=ERRORS, summary="One assignment as the caller may see it")
def get_assignment(session: SessionDep, user: CurrentUser, assignment: AssignmentDep):
    """The class's instructor and students (hidden fields left out for students)."""
    return assignment_out(session, assignment, user)


@router.post("/{assignment_id}/attempts", status_code=201, responses=ERRORS, summary="Start an attempt")
def start_attempt(request: Request, session: SessionDep, user: MemberUser, assignment: AssignmentDep,
                  scenario: Annotated[dict[str, Any], Body(description="The fields the student sets; the rest "
                                                                       "come from the assignment")]):
    """The class's students (and its instructor, to try it out). 422 names a changed locked or hidden field
    or a value out of range; 429 over the per-user quota or a budget; 403 past the due date (hard deadline).
    `queue_position` (1: starts next) and `eta_seconds` say where the run stands (app/services/queue.py)."""
    attempt = attempts.start_attempt(session, state=request.app.state, assignment=assignment, user=user, data=scenario)
    out = one_attempt_out(session, assignment, attempt, user)
    standing = queue.standing(session, state=request.app.state, run=session.get(Run, attempt.run_id))
    return {**out, "queue_position": standing.position if standing else None,
            "eta_seconds": standing.eta_seconds if standing else None}


@router.put("/{assignment_id}", responses=TAUGHT, summary="Edit an assignment (instructor); attempts made stay")
def edit_assignment(session: SessionDep, user: InstructorUser, assignment: TaughtAssignmentDep,
                    body: Annotated[AssignmentIn, Body()]):
    """The class's instructor only: the whole assignment again, as when creating it. Attempts already made keep
    their runs, verdicts and the goal they were made under: the goal may change at any time, and binds only new
    attempts (queued and running ones are judged by their own goal when they end)."""
    try:
        assignments.edit_assignment(session, assignment=assignment, spec=body.model_dump())
    except ScenarioError as e:
        return invalid(e.errors, "invalid assignment")
    return assignment_out(session, assignment, user)


@router.delete("/{assignment_id}", responses=TAUGHT, summary="Delete an assignment and its attempts (instructor)")
def delete_assignment(request: Request, session: SessionDep, user: InstructorUser,
                      assignment: TaughtAssignmentDep):
    """The class's instructor only. Its queued attempt runs are cancelled; every run stays its student's."""
    assignment_id = assignment.id
    cancelled = assignments.delete_assignment(session, state=request.app.state, assignment=assignment)
    return {"deleted": assignment_id, "cancelled": cancelled}


@router.get("/{assignment_id}/attempts", responses=ERRORS, summary="Attempts: mine (all of them: instructor)")
def list_attempts(session: SessionDep, user: CurrentUser, assignment: AssignmentDep):
    """Students see their own attempts, the instructor everyone's; each with pass/fail once it has ended, judged
    by its `goal` (the one it was made under)."""
    mine = None if assignments.teaches(session, assignment, user) else user.id
    rows, grades = attempts.as_seen(session, assignment=assignment, viewer=user,
                                    rows=attempts.attempt_rows(session, assignment=assignment, user_id=mine))
    return {"attempts": [attempt_out(a, r, u, assignment, grades.get(a.id)) for a, r, u in rows]}


@router.post("/{assignment_id}/attempts/{attempt_id}/void", responses=TAUGHT,
             summary="Void an attempt, with a reason (instructor): it stays, and no longer counts")
def void_attempt(request: Request, session: SessionDep, user: InstructorUser, assignment: TaughtAssignmentDep,
                 attempt_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: VoidIn):
    """The class's instructor only. The attempt stays, marked voided; it no longer counts against the budget, in
    the dashboard, the leaderboard or the grades; a queued or running run of it stops. Logged with the reason."""
    attempt = attempts.void(session, state=request.app.state, assignment=assignment, attempt_id=attempt_id,
                            actor=user, reason=body.reason)
    return one_attempt_out(session, assignment, attempt, user)


@router.post("/{assignment_id}/attempts/{attempt_id}/feedback", responses=TAUGHT,
             summary="Leave feedback on an attempt (instructor): Markdown, shown escaped to its student")
def feedback(session: SessionDep, user: InstructorUser, assignment: TaughtAssignmentDep,
             attempt_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: FeedbackIn):
    """The class's instructor only; the student sees it beside the attempt."""
    attempt = attempts.give_feedback(session, assignment=assignment, attempt_id=attempt_id, actor=user,
                                     text=body.feedback)
    return one_attempt_out(session, assignment, attempt, user)


@router.post("/{assignment_id}/extensions", responses=TAUGHT,
             summary="Give a student their own due date (instructor), or take it back")
def extension(session: SessionDep, user: InstructorUser, assignment: TaughtAssignmentDep, body: ExtensionIn):
    """The class's instructor only. The late policy reads the student's date instead of the assignment's."""
    attempts.extend(session, assignment=assignment, student=body.student, due_at=body.due_at)
    return {"student": body.student.strip().lower(), "due_at": body.due_at}


@router.get("/{assignment_id}/leaderboard", responses=ERRORS, summary="Best attempt per student, ranked")
def get_leaderboard(session: SessionDep, user: CurrentUser, assignment: AssignmentDep,
                    view: Annotated[Literal["public", "final"] | None, Query(
                        description="With a held-out split: the public part's leaderboard, or the final one (the "
                                    "private part's; students only after the due date, 403 before)")] = None):
    """The class's instructor and students; students see others' names only if the instructor chose so. `view`:
    which leaderboard this is (null: the assignment has no held-out split, so only one)."""
    view = attempts.leaderboard_view(session, assignment=assignment, viewer=user, asked=view)
    rows = attempts.leaderboard(session, assignment=assignment, viewer=user, view=view)
    return {"score": assignment.score, "higher_is_better": assignment.higher_is_better,
            "qualify": assignment.qualify, "view": view,
            "rows": [{"rank": r.rank, "student": r.username, "score": r.score, "steps": r.steps,
                      "passed": r.passed, "attempt_id": r.attempt_id} for r in rows]}


@router.get("/{assignment_id}/grades.csv", responses=ERRORS, summary="Grade export for an LMS (instructor)",
            response_class=Response)
def grades_csv(session: SessionDep, user: InstructorUser, assignment: TaughtAssignmentDep):
    """The class's instructor only: one row per student, the LMS gradebook's columns first (username, name,
    email, score, max_score, late, submitted_at), then grade (percent), passed, attempts, best score and run."""
    name = f"assignment-{assignment.id}-grades.csv"
    return Response(attempts.grades(session, assignment=assignment), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
