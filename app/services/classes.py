"""Classes and lessons: create, join, rename and delete a class, cancel its queued runs, build its lessons.

Only the instructor who teaches a class changes it (TaughtClassDep, app/deps.py, finds the class for them).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from forgetlab.core.errors import Invalid, NotFound
from forgetlab.core.lessons import STARTER
from forgetlab.core.store import classes
from forgetlab.core.store.models import Classroom, Lesson, Run, User

from .runs import cancel_many, stop


def _name(name: str | None) -> str:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise Invalid("give the class a name of 1 to 200 characters", "name")
    return name


def create_class(session: Session, *, name: str, instructor: User) -> Classroom:
    """A new class taught by `instructor`, with its join code; Invalid for a blank or overlong name."""
    return classes.create_class(session, name=_name(name), instructor_id=instructor.id)


def join(session: Session, *, code: str, user: User) -> Classroom:
    """Join the class this code opens (its own instructor stays its instructor); NotFound for no such code."""
    room = classes.class_by_code(session, code=code) if code.strip() else None
    if room is None:
        raise NotFound(f"no class has the join code {code!r}; check it with your instructor", "code")
    if room.instructor_id != user.id:
        classes.join(session, class_id=room.id, user_id=user.id)
    return room


def join_url(*, base_url: str, room: Classroom) -> str:
    """The link a student opens to join: this lab's address and the class's code."""
    return base_url.rstrip("/") + f"/join/{room.join_code}"


def rename_class(session: Session, *, room: Classroom, name: str) -> Classroom:
    classes.rename_class(session, class_id=room.id, name=_name(name))
    session.refresh(room)
    return room


def delete_class(session: Session, *, state, room: Classroom) -> int:
    """Delete the class: memberships, assignments, attempts' rows and lessons. Its queued attempt runs are
    cancelled; every run stays its student's. Returns how many runs were cancelled."""
    cancelled = cancel_many(session, state=state, run_ids=classes.queued_class_runs(session, class_id=room.id))
    classes.delete_class(session, class_id=room.id)
    return cancelled


CANCELLED_BY_INSTRUCTOR = "its queued run was cancelled by the instructor (Cancel all queued runs)"


def cancel_queued(session: Session, *, state, room: Classroom, actor: User) -> int:
    """Cancel every queued run of the class's attempts at once; returns how many were cancelled. Each attempt
    whose run this cancelled is voided, logged as the instructor's: the student did not spend it."""
    run_ids = classes.queued_class_runs(session, class_id=room.id)
    count = 0
    for run_id in run_ids:
        if stop(session, state=state, run=session.get(Run, run_id)).status == "cancelled":
            count += 1
            attempt = classes.attempt_of_run(session, run_id=run_id)
            classes.void_attempt(session, attempt_id=attempt.id, actor_id=actor.id, reason=CANCELLED_BY_INSTRUCTOR,
                                 action="cancelled")
    return count


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
