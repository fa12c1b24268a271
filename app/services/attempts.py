"""Attempts at an assignment: start one, judge each ended one against its goal, rank and grade them.

An attempt is checked against the goal it was made under (stored on the attempt: the assignment's goal
may change later) once its run has ended, the first time anyone looks at it (the attempt list, the
leaderboard, the dashboard, the API): the verdict is then stored for good.

Attempts are records: once started an attempt stays, whatever becomes of its run (its run is neither
cancelled nor deleted: app/services/runs.py). The one counting rule (core/store/classes.py,
count_attempts): every attempt counts, failed and cancelled ones too, except one its instructor voided,
with a reason kept in the assignment's audit log. Budgets, the dashboard, the class page, the leaderboard
and the grade CSV all count that way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from forgetlab.core import goals
from forgetlab.core.assignments import apply
from forgetlab.core.errors import Forbidden, Invalid, NotFound
from forgetlab.core.leaderboard import Attempt, Rules, Standing, anonymous, grades_csv, standings
from forgetlab.core.store import classes
from forgetlab.core.store.models import Assignment, AssignmentAttempt, Run, User, utcnow

from .assignments import teaches, template_of
from .runs import stop, submit


def start_attempt(session: Session, *, state, assignment: Assignment, user: User,
                  data: dict[str, Any]) -> AssignmentAttempt:
    """Run the student's scenario as an attempt: past due is Forbidden; over a budget or quota OverQuota;
    a changed locked or hidden field or a value out of range ScenarioError naming it."""
    if assignment.due_at is not None and utcnow() > assignment.due_at:
        raise Forbidden(f"this assignment was due on {assignment.due_at:%Y-%m-%d %H:%M} UTC", "due_at")
    scenario = apply(template_of(assignment), data)
    run = submit(session, state=state, scenario=scenario, owner=user, assignment=assignment)  # checks the budgets
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
    seen: dict[int, int] = {}
    for attempt, run, user in rows:
        # Numbered per student (1, 2, 3 of theirs), not by the table's id; an attribute of this read only.
        seen[user.id] = attempt.number = seen.get(user.id, 0) + 1
        if attempt.passed is None and (found := verdict_of(goal_of(attempt, assignment), run)) is not None:
            classes.record_verdict(session, attempt_id=attempt.id, passed=found[0], reason=found[1])
            attempt.passed, attempt.reason = found
    return rows


def rules_of(assignment: Assignment) -> Rules:
    return Rules(score=assignment.score, higher_is_better=assignment.higher_is_better, qualify=assignment.qualify)


def counted(rows):
    """The rows that count: all but voided attempts (the one counting rule)."""
    return [row for row in rows if not row[0].voided]


def _attempts(rows) -> list[Attempt]:
    return [Attempt(id=a.id, user_id=u.id, username=u.name, run_id=r.id, status=r.status, summary=r.summary,
                    passed=a.passed, created_at=a.created_at) for a, r, u in counted(rows)]


def void(session: Session, *, state, assignment: Assignment, attempt_id: int, actor: User, reason: str
         ) -> AssignmentAttempt:
    """Void an attempt of this assignment (its instructor only: the caller checks): it stays, shown as voided,
    and no longer counts; a queued or running run of it is stopped. The reason is required and logged."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise Invalid("say why the attempt is voided (1 to 500 characters): it is kept in the audit log", "reason")
    attempt = classes.get_attempt(session, attempt_id=attempt_id)
    if attempt is None or attempt.assignment_id != assignment.id:
        raise NotFound(f"no attempt {attempt_id} at this assignment", "attempt")
    if attempt.voided:
        raise Invalid(f"attempt {attempt_id} is already voided", "attempt")
    classes.void_attempt(session, attempt_id=attempt.id, actor_id=actor.id, reason=reason)
    run = session.get(Run, attempt.run_id)
    if not run.terminal:
        stop(session, state=state, run=run)
    return classes.get_attempt(session, attempt_id=attempt.id)


def leaderboard(session: Session, *, assignment: Assignment, viewer: User) -> list[Standing]:
    rows = standings(_attempts(attempt_rows(session, assignment=assignment)), rules_of(assignment))
    if assignment.show_names or teaches(session, assignment, viewer):
        return rows
    return anonymous(rows, viewer.id)


def grades(session: Session, *, assignment: Assignment) -> str:
    roster = [(u.id, u.name) for u in classes.roster(session, class_id=assignment.class_id)]
    return grades_csv(roster, _attempts(attempt_rows(session, assignment=assignment)), rules_of(assignment))


def dashboard(session: Session, *, assignment: Assignment) -> dict:
    """Per student on the roster: their attempts (voided ones too, marked), how many count, passed or not, best
    attempt, the last counted attempt; the best runs to compare; and the audit log."""
    rows = attempt_rows(session, assignment=assignment)
    best = {s.user_id: s for s in standings(_attempts(rows), rules_of(assignment))}
    students = []
    for user in classes.roster(session, class_id=assignment.class_id):
        mine = [(a, r) for a, r, u in rows if u.id == user.id]
        kept = [(a, r) for a, r in mine if not a.voided]
        students.append({"user": user, "attempts": mine, "counted": len(kept),
                         "passed": any(a.passed for a, _ in kept), "best": best.get(user.id),
                         "last": kept[-1] if kept else None})
    best_runs = [s.run_id for s in sorted(best.values(), key=lambda s: s.rank)][:8]  # /compare takes 2-8
    kept = counted(rows)
    return {"students": students, "best_runs": best_runs, "total": len(kept), "rows": rows,
            "passed": sum(1 for a, _, _ in kept if a.passed),
            "log": classes.attempt_log(session, assignment_id=assignment.id),
            "labels": {a.id: f"{u.name}'s attempt {a.number}" for a, _, u in rows}}
