"""Quotas: how many runs a student may have waiting or running at once, and an assignment's budgets.

Over a limit is an `OverQuota` (app/errors.py: 429 with Retry-After; a page says why). The
per-user limit is `FORGETLAB_MAX_ACTIVE_RUNS` (default 4) and binds students only: instructors (the
embedded lab's local user is one) start runs and sweeps as before, with no new step or wait.

A check counts rows and the insert that follows adds one, so two submissions at once could both pass.
`exclusive()` makes the check and the insert one critical section: on PostgreSQL it locks the user's row
(and the assignment's, for its class-wide run budget) with SELECT ... FOR UPDATE until the commit, so a
second submission of that user waits, then counts the first one's run; on SQLite it opens the
transaction with BEGIN IMMEDIATE, SQLite's one writer lock. The caller checks, inserts and commits inside.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .errors import DomainError
from .store import classes
from .store.classes import ACTIVE
from .store.models import Assignment, Membership, Run, User

# A queued or running run frees its slot when it ends: on the synthetic tier that is seconds.
RETRY_ACTIVE_SECONDS = 30
# A spent budget frees nothing by waiting; an instructor may raise it. Clients should not hammer.
RETRY_BUDGET_SECONDS = 3600


class OverQuota(DomainError):
    def __init__(self, message: str, field: str, retry_after: int):
        super().__init__(message, field)
        self.retry_after = retry_after


def binds(user: User, limit: int, assignment: Assignment | None = None) -> bool:
    """Whether a submission has a limit to check: a student's active-run limit, or an assignment's budgets."""
    if assignment is not None and (assignment.attempt_budget is not None or assignment.run_budget is not None):
        return True
    return user.role == "student" and limit > 0


@contextmanager
def exclusive(session: Session, *, user: User, assignment: Assignment | None = None) -> Iterator[None]:
    """Hold off every other submission that could count against the same limits until the caller commits.

    Commits what the session holds first (on SQLite a transaction that already wrote cannot be upgraded).
    Locks in one order, the assignment before the user, so two submissions never wait on each other in a
    circle. Rolls back if the block raises (over a limit: nothing was inserted)."""
    if session.in_transaction():
        session.commit()
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")
    else:
        if assignment is not None:
            session.execute(select(Assignment.id).where(Assignment.id == assignment.id).with_for_update())
        session.execute(select(User.id).where(User.id == user.id).with_for_update())
    try:
        yield
    except BaseException:
        session.rollback()
        raise
    if session.in_transaction():  # the caller forgot to commit: do not keep the lock
        session.commit()


def check_active(session: Session, *, user: User, limit: int, adding: int = 1) -> None:
    """A student may have at most `limit` runs queued or running (0: no limit)."""
    if user.role != "student" or limit <= 0:
        return
    active = classes.active_runs(session, user_id=user.id)
    if active + adding > limit:
        what = "this run" if adding == 1 else f"these {adding} runs"
        raise OverQuota(f"you have {active} run{'s' if active != 1 else ''} queued or running, and {what} would "
                        f"go over your limit of {limit} at once; wait for one to finish", "quota",
                        RETRY_ACTIVE_SECONDS)


def binds_address(session: Session, *, user: User, limit: int) -> bool:
    """Whether a public lab counts this user's runs with others' from their address: students in no class (a
    class's students are known to its instructor, and a class behind one NAT shares one address)."""
    if user.role != "student" or limit <= 0:
        return False
    return session.scalar(select(Membership.class_id).where(Membership.user_id == user.id).limit(1)) is None


def check_address(session: Session, *, user_ids: list[int], limit: int, adding: int = 1) -> None:
    """The accounts that submitted from one address lately (app/middleware/throttles.py) may have at most
    `limit` runs queued or running together: fresh accounts do not each bring a new queue."""
    active = session.scalar(select(func.count()).select_from(Run)
                            .where(Run.owner_id.in_(user_ids), Run.status.in_(ACTIVE))) or 0
    if active + adding > limit:
        raise OverQuota(f"the accounts at your address have {active} runs queued or running, and the limit for "
                        f"one address is {limit} at once; wait for one to finish", "quota", RETRY_ACTIVE_SECONDS)


def check_budgets(session: Session, *, assignment: Assignment, user: User) -> None:
    """The student's attempt budget and the assignment's run budget: every attempt counts but a voided one
    (core/store/classes.py, count_attempts)."""
    if assignment.attempt_budget is not None:
        used = classes.count_attempts(session, assignment_id=assignment.id, user_id=user.id)
        if used >= assignment.attempt_budget:
            raise OverQuota(f"you have used all {assignment.attempt_budget} attempts of this assignment",
                            "attempt_budget", RETRY_BUDGET_SECONDS)
    if assignment.run_budget is not None:
        used = classes.count_attempts(session, assignment_id=assignment.id)
        if used >= assignment.run_budget:
            raise OverQuota(f"this assignment's run budget of {assignment.run_budget} runs is spent; ask your "
                            "instructor to raise it", "run_budget", RETRY_BUDGET_SECONDS)
