"""Who sees and who manages what: the one place visibility is decided, as SQL filters.

Each rule is a boolean SQL expression over the table, so one definition serves a list ("my runs"),
a single lookup (`can_view_run`) and a join, and the database does the filtering. The web app applies
them in its dependencies (app/deps.py: RunDep, ManagedRunDep, SweepDep, DatasetDep, Visible) and
nowhere else.

The rules (docs/accounts.md):
- a run: its owner sees it; instructors see runs with no owner (made before accounts); everyone
  signed in, guests included, sees runs their owner shared; plus what classes grant (below).
- a run is managed (cancelled, deleted, shared) by its owner, or by an instructor for runs with no
  owner, plus what classes grant (below). Guests manage nothing. An admin is an instructor here.
- sweeps and datasets follow the runs' rules, without sharing. A dataset is an uploader's row: the same pairs
  uploaded by two users are two rows, each under its owner's rules (core/store/datasets.py).

EXTENSION POINT for classes (migration 0005): `through_classes(user, owner)` returns the clauses
by which class membership lets `user` see things owned by `owner` (a column: Run.owner_id,
Sweep.owner_id, StoredDataset.owner_id), e.g. an instructor sees the runs of the students of the
classes they teach. `managed_through_classes` is what they may change through classes: the attempt
runs of the classes they teach (shared, labelled; never cancelled or deleted: attempts are records). A class sharing of runs ("what my class shares")
goes in `shared_through_classes`. Today there are no classes: they return nothing.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from .classes import students_taught, taught_runs
from .models import TEACHERS, Assignment, AssignmentAttempt, Classroom, Run, StoredDataset, Sweep, User

INSTRUCTOR, STUDENT, GUEST, ADMIN = "instructor", "student", "guest", "admin"


# --- the extension point: filled by the classes module (migration 0005) ----------------------------------


def through_classes(user: User, owner) -> list[ColumnElement[bool]]:
    """Clauses over `owner` (an owner_id column) that class membership adds to what `user` sees: an
    instructor sees what the students of the classes they teach own (core/store/classes.py)."""
    return [owner.in_(students_taught(user.id))] if user.role in TEACHERS else []


def managed_through_classes(user: User) -> list[ColumnElement[bool]]:
    """Clauses over Run that class membership adds to what `user` may change (share, label; an attempt's run is
    never cancelled or deleted: app/services/runs.py): the attempt runs of the classes they teach, and nothing
    else of their students' (their own runs and sweeps stay theirs)."""
    return [Run.id.in_(taught_runs(user.id))] if user.role in TEACHERS else []


def shared_through_classes(user: User) -> list[ColumnElement[bool]]:
    """Clauses over Run that a class's sharing adds to the runs `user` sees (e.g. a run shared with the class)."""
    return []


# --- the rules ---------------------------------------------------------------------------------------------


def _owned(user: User, owner) -> list[ColumnElement[bool]]:
    """Owner, or an instructor for things made before accounts, or what classes grant."""
    if user.role == GUEST:
        return []
    clauses = [owner == user.id]
    if user.role in TEACHERS:
        clauses.append(owner.is_(None))
    return clauses + through_classes(user, owner)


def _managed(user: User, owner) -> ColumnElement[bool]:
    if user.role == GUEST:
        return false()
    clauses = [owner == user.id]
    if user.role in TEACHERS:
        clauses.append(owner.is_(None))
    return or_(*clauses)


def run_filter(user: User | None) -> ColumnElement[bool]:
    """The runs `user` may see."""
    if user is None:
        return false()
    return or_(Run.shared.is_(True), *_owned(user, Run.owner_id), *shared_through_classes(user))


def run_manage_filter(user: User | None) -> ColumnElement[bool]:
    """The runs `user` may cancel, delete or share."""
    return false() if user is None else or_(_managed(user, Run.owner_id), *managed_through_classes(user))


def sweep_filter(user: User | None) -> ColumnElement[bool]:
    clauses = _owned(user, Sweep.owner_id) if user is not None else []
    return or_(*clauses) if clauses else false()


def sweep_manage_filter(user: User | None) -> ColumnElement[bool]:
    return false() if user is None else _managed(user, Sweep.owner_id)


def dataset_filter(user: User | None) -> ColumnElement[bool]:
    """The uploaded datasets `user` may see and train on: rows (one per uploader, core/store/datasets.py), so the
    same pairs uploaded by someone else are theirs, not this user's."""
    clauses = _owned(user, StoredDataset.owner_id) if user is not None else []
    return or_(*clauses) if clauses else false()


def reusable_filter(user: User | None) -> ColumnElement[bool]:
    """The runs a new run or a sweep's point of `user` may reuse (the run cache): visible ones that are no
    attempt's. An attempt is a record of its own, and reusing it would tell its student which settings its hidden
    fields have (a sweep over a hidden field would mark the hidden value's point "reused")."""
    return and_(run_filter(user), Run.id.not_in(select(AssignmentAttempt.run_id)))


def visible_runs_query(user: User | None):
    """select(Run) limited to what `user` sees; add ordering and limits as needed."""
    return select(Run).where(run_filter(user))


def _holds(session: Session, model, key, rule: ColumnElement[bool]) -> bool:
    return session.scalar(select(model.id).where(model.id == key).where(rule).limit(1)) is not None


def can_view_run(session: Session, user: User | None, run: Run) -> bool:
    return _holds(session, Run, run.id, run_filter(user))


def can_manage_run(session: Session, user: User | None, run: Run) -> bool:
    return _holds(session, Run, run.id, run_manage_filter(user))


def can_view_sweep(session: Session, user: User | None, sweep: Sweep) -> bool:
    return _holds(session, Sweep, sweep.id, sweep_filter(user))


def can_manage_sweep(session: Session, user: User | None, sweep: Sweep) -> bool:
    return _holds(session, Sweep, sweep.id, sweep_manage_filter(user))


def can_start_runs(user: User | None) -> bool:
    """Students and instructors start runs, sweeps and uploads; guests only look."""
    return user is not None and user.role in (STUDENT, INSTRUCTOR, ADMIN)



def hidden_fields(session: Session, user: User | None, run_ids: list[int]) -> dict[int, list[str]]:
    """Per run that is an attempt at an assignment with hidden fields, those fields: what `user` may not see of
    its settings, unless they teach the assignment's class (its student, and anyone it is shared with, may not)."""
    if not run_ids:
        return {}
    rows = session.execute(select(AssignmentAttempt.run_id, Assignment.template, Classroom.instructor_id)
                           .join(Assignment, Assignment.id == AssignmentAttempt.assignment_id)
                           .join(Classroom, Classroom.id == Assignment.class_id)
                           .where(AssignmentAttempt.run_id.in_(run_ids)))
    return {run_id: list(template.get("hidden") or []) for run_id, template, instructor in rows
            if template.get("hidden") and (user is None or user.id != instructor)}
