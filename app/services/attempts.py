"""Attempts at an assignment: start one, judge each ended one against its goal, rank and grade them.

An attempt is checked against the goal it was made under (stored on the attempt: the assignment's goal
may change later) once its run has ended, the first time anyone looks at it (the attempt list, the
leaderboard, the dashboard, the API): the verdict is then stored for good.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from forgetlab.core import goals
from forgetlab.core.assignments import apply
from forgetlab.core.errors import Forbidden
from forgetlab.core.leaderboard import Attempt, Rules, Standing, anonymous, grades_csv, standings
from forgetlab.core.store import classes
from forgetlab.core.store.models import Assignment, AssignmentAttempt, Run, User, utcnow

from .assignments import teaches, template_of
from .runs import submit


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
