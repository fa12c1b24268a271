"""Attempts at an assignment: start one, judge each ended one against its goal, rank and grade them.

An attempt is checked against the goal it was made under (stored on the attempt: the assignment's goal
may change later) once its run has ended, the first time anyone looks at it (the attempt list, the
leaderboard, the dashboard, the API): the verdict is then stored for good.

Attempts are records: once started an attempt stays, whatever becomes of its run (its run is neither
cancelled nor deleted: app/services/runs.py). The one counting rule (core/store/classes.py,
count_attempts): every attempt counts, failed and cancelled ones too, except one its instructor voided,
with a reason kept in the assignment's audit log. Budgets, the dashboard, the class page, the leaderboard
and the grade CSV all count that way.

The held-out split (core/holdout.py): an attempt's run measured with one is judged, graded and ranked on the
final leaderboard by its private part (runs.private_summary). Its class's instructor and admins see that part;
a student sees their attempts' verdicts and scores on the public part until the final leaderboard opens (after
the last due date, extensions included), the final ones after; the reasons a student reads are always the
public part's (they quote figures).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from forgetlab.core import goals, grading, holdout
from forgetlab.core.assignments import apply
from forgetlab.core.errors import Forbidden, Invalid, NotFound
from forgetlab.core.leaderboard import Attempt, GradeRow, Rules, Standing, anonymous, grades_csv, standings
from forgetlab.core.store import classes
from forgetlab.core.store.access import ADMIN
from forgetlab.core.store.models import Assignment, AssignmentAttempt, Run, User, utcnow

from .assignments import teaches, template_of
from .runs import stop, submit


def due_for(session: Session, *, assignment: Assignment, user_id: int) -> datetime | None:
    """A student's due date: their extension, else the assignment's."""
    return classes.extensions(session, assignment_id=assignment.id).get(user_id, assignment.due_at)


def closed_for(session: Session, *, assignment: Assignment, user: User) -> str | None:
    """Why no attempt may start now under a hard deadline (None: it may)."""
    due = due_for(session, assignment=assignment, user_id=user.id)
    if assignment.late_policy == "hard" and due is not None and utcnow() > due:
        return f"this assignment was due on {due:%Y-%m-%d %H:%M} UTC"
    return None


def start_attempt(session: Session, *, state, assignment: Assignment, user: User,
                  data: dict[str, Any]) -> AssignmentAttempt:
    """Run the student's scenario as an attempt: past their due date under a hard deadline is Forbidden (a
    late attempt under another policy is accepted, and graded as late); over a budget or quota OverQuota;
    a changed locked or hidden field or a value out of range ScenarioError naming it."""
    if (why := closed_for(session, assignment=assignment, user=user)) is not None:
        raise Forbidden(why, "due_at")
    scenario = apply(template_of(assignment), data)
    run = submit(session, state=state, scenario=scenario, owner=user, assignment=assignment)  # checks the budgets
    return classes.attempt_of_run(session, run_id=run.id)


def goal_of(attempt: AssignmentAttempt, assignment: Assignment) -> str:
    """The goal an attempt is judged by: the one it was made under (the assignment's, for a row without one)."""
    return attempt.goal or assignment.goal


def judged_summary(run: Run, private: bool = True) -> dict | None:
    """The summary a goal and a grade read: with a held-out split, its private part's figures (`private`), else
    the public ones (the run's summary as everyone sees it)."""
    return holdout.judged(run.summary, run.private_summary) if private else run.summary


def verdict_of(goal: str, run: Run, private: bool = True) -> tuple[bool, str] | None:
    """The goal's verdict on an ended run (None while it runs); on its held-out split's public part if not `private`."""
    if not run.terminal:
        return None
    if run.status == "succeeded" and run.summary:
        verdict = goals.check(goal, judged_summary(run, private))
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


def sees_private(session: Session, assignment: Assignment, user: User | None) -> bool:
    """Whether `user` sees a held-out split's private figures: the class's instructor and admins."""
    return user is not None and (user.role == ADMIN or teaches(session, assignment, user))


def final_at(session: Session, *, assignment: Assignment) -> datetime | None:
    """When the final leaderboard (the private part's) opens to students: the last due date, extensions included.
    None without a due date: then only the instructor sees it."""
    if assignment.due_at is None:
        return None
    return max([assignment.due_at, *classes.extensions(session, assignment_id=assignment.id).values()])


def final_open(session: Session, *, assignment: Assignment) -> bool:
    when = final_at(session, assignment=assignment)
    return when is not None and utcnow() > when


class SeenAttempt:
    """An attempt of a held-out split as its student sees it: `passed` as below (as_seen), the public part's
    reason; every other attribute the attempt's (read-only use: never added to a session)."""

    def __init__(self, attempt: AssignmentAttempt, passed: bool | None, reason: str | None):
        self._attempt, self.passed, self.reason = attempt, passed, reason

    def __getattr__(self, name: str):
        return getattr(self._attempt, name)


def as_seen(session: Session, *, assignment: Assignment, viewer: User, rows) -> tuple[list, dict[int, grading.Graded]]:
    """The attempts (attempt_rows) and their grades as `viewer` may see them: as they are for the instructor and
    admins and without a held-out split; for a student, each attempt measured with one shows its verdict and
    grade on the public part until the final leaderboard opens, its own (private) after, and the public reason."""
    if sees_private(session, assignment, viewer) or not any(r.holdout for _, r, _ in rows):
        return rows, graded(session, assignment=assignment, rows=rows)
    final = final_open(session, assignment=assignment)
    seen = []
    for attempt, run, user in rows:
        if run.holdout:
            public = verdict_of(goal_of(attempt, assignment), run, private=False) or (None, None)
            attempt = SeenAttempt(attempt, attempt.passed if final else public[0], public[1])
        seen.append((attempt, run, user))
    return seen, graded(session, assignment=assignment, rows=seen, private=final)


def rules_of(assignment: Assignment) -> Rules:
    return Rules(score=assignment.score, higher_is_better=assignment.higher_is_better, qualify=assignment.qualify)


def counted(rows):
    """The rows that count: all but voided attempts (the one counting rule)."""
    return [row for row in rows if not row[0].voided]


def _attempts(rows, public: Assignment | None = None) -> list[Attempt]:
    """The counted attempts as the leaderboard reads them: a held-out split's judged on its private part, or with
    `public` (their assignment) on its public part: what students see during the assignment."""
    out = []
    for a, r, u in counted(rows):
        passed = a.passed
        if public is not None and r.holdout:
            passed = (verdict_of(goal_of(a, public), r, private=False) or (None,))[0]
        out.append(Attempt(id=a.id, user_id=u.id, username=u.name, run_id=r.id, status=r.status,
                           summary=judged_summary(r, private=public is None), passed=passed,
                           created_at=a.created_at))
    return out


def void(session: Session, *, state, assignment: Assignment, attempt_id: int, actor: User, reason: str
         ) -> AssignmentAttempt:
    """Void an attempt of this assignment (its instructor only: the caller checks): it stays, shown as voided,
    and no longer counts; a queued or running run of it is stopped. The reason is required and logged."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise Invalid("say why the attempt is voided (1 to 500 characters): it is kept in the audit log", "reason")
    attempt = _attempt_of(session, assignment, attempt_id)
    if attempt.voided:
        raise Invalid(f"attempt {attempt_id} is already voided", "attempt")
    classes.void_attempt(session, attempt_id=attempt.id, actor_id=actor.id, reason=reason)
    run = session.get(Run, attempt.run_id)
    if not run.terminal:
        stop(session, state=state, run=run)
    return classes.get_attempt(session, attempt_id=attempt.id)


PUBLIC_VIEW, FINAL_VIEW = "public", "final"


def has_split(session: Session, *, assignment: Assignment) -> bool:
    """Whether the assignment has a held-out split now, or any of its attempts was measured with one."""
    return bool(assignment.private_share) or classes.any_attempt_with_holdout(session, assignment_id=assignment.id)


def leaderboard_view(session: Session, *, assignment: Assignment, viewer: User, asked: str | None) -> str | None:
    """Which leaderboard `viewer` gets: None without a held-out split (one leaderboard); else the public one
    (public part) until the final one (private part) opens, the final one after. The instructor and admins may
    ask for either at any time; a student asking for the final one before it opens is Forbidden."""
    if not has_split(session, assignment=assignment):
        return None
    opened = final_open(session, assignment=assignment)
    view = asked or (FINAL_VIEW if opened else PUBLIC_VIEW)
    if view not in (PUBLIC_VIEW, FINAL_VIEW):
        raise Invalid("public or final", "view")
    if view == FINAL_VIEW and not opened and not sees_private(session, assignment, viewer):
        when = final_at(session, assignment=assignment)
        raise Forbidden("the final leaderboard, on the held-out probes, opens after the due date" +
                        (f" ({when:%Y-%m-%d %H:%M} UTC)" if when else ""), "view")
    return view


def leaderboard(session: Session, *, assignment: Assignment, viewer: User, view: str | None = None
                ) -> list[Standing]:
    """The standings (leaderboard_view's `view`: the public part's when "public", else every run's judged part)."""
    rows = attempt_rows(session, assignment=assignment)
    attempts = _attempts(rows, public=assignment if view == PUBLIC_VIEW else None)
    ranked = standings(attempts, rules_of(assignment))
    if assignment.show_names or teaches(session, assignment, viewer):
        return ranked
    return anonymous(ranked, viewer.id)


def graded(session: Session, *, assignment: Assignment, rows, private: bool = True) -> dict[int, grading.Graded]:
    """{attempt id: its grade} for the counted attempts: points per clause (core/grading.py), less the late
    penalty for the days after the student's due date; on a held-out split's private part (`private`), else on
    its public part."""
    extended = classes.extensions(session, assignment_id=assignment.id)
    out = {}
    for attempt, run, user in counted(rows):
        days = grading.days_late(attempt.created_at, extended.get(user.id, assignment.due_at))
        points = grading.earned(assignment.points, judged_summary(run, private) if run.status == "succeeded" else None,
                                attempt.passed)
        out[attempt.id] = grading.Graded(attempt.id, user.id, attempt.created_at, days, grading.after_penalty(
            points, days, assignment.late_policy, assignment.late_penalty))
    return out


def gradebook(session: Session, *, assignment: Assignment, rows) -> dict[int, GradeRow]:
    """Per student on the roster, the gradebook's columns: the best graded attempt's score, late flag and time."""
    by_attempt = graded(session, assignment=assignment, rows=rows)
    top = grading.max_points(assignment.points)
    roster = classes.roster(session, class_id=assignment.class_id)
    known = classes.profiles(session, user_ids=[u.id for u in roster])
    out = {}
    for user in roster:
        chosen = grading.best([g for g in by_attempt.values() if g.user_id == user.id])
        profile = known.get(user.id)
        out[user.id] = GradeRow(name=(profile and profile.full_name) or "", email=(profile and profile.email) or "",
                                score=chosen.score if chosen else None, max_score=top,
                                late=bool(chosen and chosen.late), submitted_at=chosen.started if chosen else None)
    return out


def grades(session: Session, *, assignment: Assignment) -> str:
    """The grade CSV: the LMS columns (username, name, email, score, max_score, late, submitted_at) first."""
    rows = attempt_rows(session, assignment=assignment)
    roster = [(u.id, u.name) for u in classes.roster(session, class_id=assignment.class_id)]
    return grades_csv(roster, _attempts(rows), rules_of(assignment),
                      gradebook=gradebook(session, assignment=assignment, rows=rows))


def give_feedback(session: Session, *, assignment: Assignment, attempt_id: int, actor: User, text: str
                  ) -> AssignmentAttempt:
    """The instructor's feedback on an attempt (the caller checks they teach it): Markdown, shown escaped;
    empty clears it."""
    text = (text or "").strip()
    if len(text) > 10_000:
        raise Invalid("feedback is at most 10000 characters", "feedback")
    attempt = _attempt_of(session, assignment, attempt_id)
    classes.set_feedback(session, attempt_id=attempt.id, text=text, actor_id=actor.id)
    return classes.get_attempt(session, attempt_id=attempt.id)


def extend(session: Session, *, assignment: Assignment, student: str, due_at: datetime | None) -> None:
    """Give a student of the class their own due date (None removes it); NotFound for a name not on the roster."""
    name = (student or "").strip().lower()
    found = [u for u in classes.roster(session, class_id=assignment.class_id) if u.name == name]
    if not found:
        raise NotFound(f"{student!r} is not a student of this class", "student")
    if due_at is not None and due_at.tzinfo is not None:  # stored, like every time here, as naive UTC
        due_at = due_at.astimezone(UTC).replace(tzinfo=None)
    classes.set_extension(session, assignment_id=assignment.id, user_id=found[0].id, due_at=due_at)


def _attempt_of(session: Session, assignment: Assignment, attempt_id: int) -> AssignmentAttempt:
    attempt = classes.get_attempt(session, attempt_id=attempt_id)
    if attempt is None or attempt.assignment_id != assignment.id:
        raise NotFound(f"no attempt {attempt_id} at this assignment", "attempt")
    return attempt


def dashboard(session: Session, *, assignment: Assignment) -> dict:
    """Per student on the roster: their attempts (voided ones too, marked), how many count, passed or not, best
    attempt, the last counted attempt; the best runs to compare; and the audit log."""
    rows = attempt_rows(session, assignment=assignment)
    best = {s.user_id: s for s in standings(_attempts(rows), rules_of(assignment))}
    book = gradebook(session, assignment=assignment, rows=rows)
    by_attempt = graded(session, assignment=assignment, rows=rows)
    extended = classes.extensions(session, assignment_id=assignment.id)
    students = []
    for user in classes.roster(session, class_id=assignment.class_id):
        mine = [(a, r) for a, r, u in rows if u.id == user.id]
        kept = [(a, r) for a, r in mine if not a.voided]
        students.append({"user": user, "attempts": mine, "counted": len(kept),
                         "passed": any(a.passed for a, _ in kept), "best": best.get(user.id),
                         "last": kept[-1] if kept else None, "grade": book[user.id],
                         "extension": extended.get(user.id)})
    best_runs = [s.run_id for s in sorted(best.values(), key=lambda s: s.rank)][:8]  # /compare takes 2-8
    kept = counted(rows)
    return {"students": students, "best_runs": best_runs, "total": len(kept), "rows": rows,
            "passed": sum(1 for a, _, _ in kept if a.passed),
            "log": classes.attempt_log(session, assignment_id=assignment.id),
            "labels": {a.id: f"{u.name}'s attempt {a.number}" for a, _, u in rows}, "graded": by_attempt,
            "max_score": grading.max_points(assignment.points)}
