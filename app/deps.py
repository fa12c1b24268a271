"""Route dependencies: the request's DB session, and the run, sweep, dataset, class, assignment or lesson
named in the path (or 404).

Ids are parsed in one place (core.ids), so a path that spells no id answers exactly like an
unknown one. Ownership is checked here and only here (rules: core/store/access.py): a run, sweep or
dataset the user may not see is a 404, exactly like an unknown one (it does not say it exists);
one they see but may not manage (ManagedRunDep, ManagedSweepDep) is a 403. Each of these carries the
policy "signed-in" (app/auth/policy.py), and the managed ones "member".

Classes: a class and its assignments are seen by its instructor and its students, and by nobody else
(404, as for an unknown id: a class's existence is not told). Only the instructor who teaches a class
changes it (TaughtClassDep, TaughtAssignmentDep: 403 for its students). A lesson is seen by the class's
instructor, and by its students once it is published.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from forgetlab.app.auth import CurrentUser, MemberUser
from forgetlab.app.services.assignments import teaches
from forgetlab.core.datasets import is_dataset_id
from forgetlab.core.ids import parse_id
from forgetlab.core.store import access, classes, runs, sweeps
from forgetlab.core.store.datasets import visible_dataset
from forgetlab.core.store.models import Assignment, Classroom, Lesson, Run, StoredDataset, Sweep, User


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, from the app's own factory (create_app may be given other settings)."""
    with request.app.state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def _run(session: Session, text: str, user: User | None) -> Run | None:
    """The run this id names, if `user` may see it."""
    key = parse_id(text)
    run = runs.get_run(session, run_id=key) if key is not None else None
    return run if run is not None and access.can_view_run(session, user, run) else None


def run_from_path(run_id: str, session: SessionDep, user: CurrentUser) -> Run:
    run = _run(session, run_id, user)
    if run is None:
        raise HTTPException(404, f"no run {run_id}")
    return run


def managed_run(run: Annotated[Run, Depends(run_from_path)], session: SessionDep, user: MemberUser) -> Run:
    """A run the user may cancel, delete or share: its owner's, or one an instructor manages."""
    if not access.can_manage_run(session, user, run):
        raise HTTPException(403, f"only the owner of run {run.id} or an instructor of their class may change it")
    return run


def sweep_from_path(sweep_id: str, session: SessionDep, user: CurrentUser) -> Sweep:
    key = parse_id(sweep_id)
    sweep = sweeps.get_sweep(session, sweep_id=key) if key is not None else None
    if sweep is None or not access.can_view_sweep(session, user, sweep):
        raise HTTPException(404, f"no sweep {sweep_id}")
    return sweep


def managed_sweep(sweep: Annotated[Sweep, Depends(sweep_from_path)], session: SessionDep, user: MemberUser) -> Sweep:
    if not access.can_manage_sweep(session, user, sweep):
        raise HTTPException(403, f"only the owner of sweep {sweep.id} or an instructor of their class may change it")
    return sweep


def dataset_from_path(dataset_id: str, session: SessionDep, user: CurrentUser) -> StoredDataset:
    row = visible_dataset(session, dataset_id=dataset_id, where=access.dataset_filter(user),
                          owner_id=user.id) if is_dataset_id(dataset_id) else None
    if row is None:
        raise HTTPException(404, f"no dataset {dataset_id}")
    return row


def run_from_query(session: Session, text: str | None, field: str, *, user: User) -> Run | None:
    """The run a query parameter names (None when the parameter is absent), or 404 naming the parameter
    (also for a run `user` may not see)."""
    if text is None:
        return None
    run = _run(session, text, user)
    if run is None:
        raise HTTPException(404, f"no run {text} ({field})")
    return run


def owned_run(run: Annotated[Run, Depends(run_from_path)], user: MemberUser) -> Run:
    """A run only its owner may write to (an external run's points): an instructor of their class may read it,
    cancel it or delete it, but the points come from the owner's training process alone."""
    if run.owner_id != user.id:
        raise HTTPException(403, f"only the owner of run {run.id} may send its points")
    return run


RunDep = Annotated[Run, Depends(run_from_path)]  # visible to the user, else 404
ManagedRunDep = Annotated[Run, Depends(managed_run)]  # and managed by them, else 403
OwnedRunDep = Annotated[Run, Depends(owned_run)]  # and owned by them, else 403
SweepDep = Annotated[Sweep, Depends(sweep_from_path)]
ManagedSweepDep = Annotated[Sweep, Depends(managed_sweep)]
DatasetDep = Annotated[StoredDataset, Depends(dataset_from_path)]


def _class(session: Session, class_id: str, user: User) -> tuple[Classroom, bool]:
    """The class `user` teaches or has joined, and whether they teach it; 404 otherwise."""
    key = parse_id(class_id)
    room = classes.get_class(session, class_id=key) if key is not None else None
    if room is None:
        raise HTTPException(404, f"no class {class_id}")
    teaching = room.instructor_id == user.id
    if not teaching and not classes.is_member(session, class_id=room.id, user_id=user.id):
        raise HTTPException(404, f"no class {class_id}")
    return room, teaching


def class_from_path(class_id: str, session: SessionDep, user: CurrentUser) -> Classroom:
    """A class the user teaches or has joined."""
    return _class(session, class_id, user)[0]


def taught_class_from_path(class_id: str, session: SessionDep, user: CurrentUser) -> Classroom:
    """A class the user teaches: its students get 403, others 404."""
    room, teaching = _class(session, class_id, user)
    if not teaching:
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


ClassDep = Annotated[Classroom, Depends(class_from_path)]  # taught or joined, else 404
TaughtClassDep = Annotated[Classroom, Depends(taught_class_from_path)]  # and taught, else 403
AssignmentDep = Annotated[Assignment, Depends(assignment_from_path)]
TaughtAssignmentDep = Annotated[Assignment, Depends(taught_assignment_from_path)]
LessonDep = Annotated[Lesson, Depends(lesson_from_path)]
