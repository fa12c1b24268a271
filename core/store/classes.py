"""Data functions over classes, memberships, assignments, attempts and lessons (keyword-only).

No policy here (who may do what is the web app's), only rows. An attempt's verdict is written once,
by a guarded UPDATE (`WHERE passed IS NULL`), so two readers checking a finished run at once agree.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .models import (
    Assignment,
    AssignmentAttempt,
    AttemptLog,
    Classroom,
    Extension,
    Lesson,
    LessonStep,
    Membership,
    Profile,
    Run,
    User,
    utcnow,
)

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: codes are read aloud and typed
CODE_LENGTH = 8
ACTIVE = ("queued", "running")


def normal_code(code: str) -> str:
    return code.strip().upper().replace("-", "").replace(" ", "")


# --- classes and members ---------------------------------------------------------------------------------
def create_class(session: Session, *, name: str, instructor_id: int) -> Classroom:
    """A new class with a fresh join code (retried on the rare collision)."""
    for _ in range(8):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        row = Classroom(name=name, instructor_id=instructor_id, join_code=code)
        session.add(row)
        try:
            session.commit()
            return row
        except IntegrityError:
            session.rollback()
    raise RuntimeError("could not find a free join code")


def rename_class(session: Session, *, class_id: int, name: str) -> None:
    session.execute(update(Classroom).where(Classroom.id == class_id).values(name=name))
    session.commit()


def delete_class(session: Session, *, class_id: int) -> None:
    """The class with its memberships, assignments, attempts' rows and lessons (the database cascades);
    the runs stay their students'."""
    session.execute(delete(Classroom).where(Classroom.id == class_id))
    session.commit()


def get_class(session: Session, *, class_id: int) -> Classroom | None:
    return session.get(Classroom, class_id)


def class_by_code(session: Session, *, code: str) -> Classroom | None:
    return session.scalars(select(Classroom).where(Classroom.join_code == normal_code(code))).first()


def classes_taught(session: Session, *, user_id: int) -> list[Classroom]:
    return list(session.scalars(select(Classroom).where(Classroom.instructor_id == user_id).order_by(Classroom.id)))


def classes_joined(session: Session, *, user_id: int) -> list[Classroom]:
    return list(session.scalars(select(Classroom).join(Membership, Membership.class_id == Classroom.id)
                                .where(Membership.user_id == user_id).order_by(Classroom.id)))


def join(session: Session, *, class_id: int, user_id: int) -> bool:
    """Add a student to a class; False when they were already in it."""
    if is_member(session, class_id=class_id, user_id=user_id):
        return False
    session.add(Membership(class_id=class_id, user_id=user_id))
    try:
        session.commit()
    except IntegrityError:  # joined twice at once
        session.rollback()
        return False
    return True


def is_member(session: Session, *, class_id: int, user_id: int) -> bool:
    return session.get(Membership, (class_id, user_id)) is not None


def roster(session: Session, *, class_id: int) -> list[User]:
    return list(session.scalars(select(User).join(Membership, Membership.user_id == User.id)
                                .where(Membership.class_id == class_id).order_by(User.name)))


# --- assignments ---------------------------------------------------------------------------------------------
def create_assignment(session: Session, *, class_id: int, title: str, template: dict, goal: str,
                      instructions: str = "", score: str = "mean(retention)", higher_is_better: bool = True,
                      qualify: str | None = None, attempt_budget: int | None = None, run_budget: int | None = None,
                      due_at: datetime | None = None, show_names: bool = False, points: dict | None = None,
                      late_policy: str = "hard", late_penalty: float | None = None,
                      private_share: float | None = None, private_salt: str | None = None,
                      commit: bool = True) -> Assignment:
    row = Assignment(class_id=class_id, title=title, instructions=instructions, template=template, goal=goal,
                     score=score, higher_is_better=higher_is_better, qualify=qualify, attempt_budget=attempt_budget,
                     run_budget=run_budget, due_at=due_at, show_names=show_names, points=points,
                     late_policy=late_policy, late_penalty=late_penalty, private_share=private_share,
                     private_salt=private_salt)
    session.add(row)
    if commit:
        session.commit()
    else:
        session.flush()
    return row


def get_assignment(session: Session, *, assignment_id: int) -> Assignment | None:
    return session.get(Assignment, assignment_id)


def assignments_of(session: Session, *, class_id: int) -> list[Assignment]:
    return list(session.scalars(select(Assignment).where(Assignment.class_id == class_id).order_by(Assignment.id)))


# --- attempts ------------------------------------------------------------------------------------------------
def create_attempt(session: Session, *, assignment_id: int, user_id: int, run_id: int,
                   goal: str | None = None) -> AssignmentAttempt:
    """An attempt, judged by `goal` (by default the assignment's goal now: the one it is made under)."""
    if goal is None:
        goal = session.scalar(select(Assignment.goal).where(Assignment.id == assignment_id))
    row = AssignmentAttempt(assignment_id=assignment_id, user_id=user_id, run_id=run_id, goal=goal)
    session.add(row)
    session.commit()
    return row


def any_attempt_with_holdout(session: Session, *, assignment_id: int) -> bool:
    """Whether any attempt at the assignment was measured with a held-out split (runs.holdout)."""
    return session.scalar(select(AssignmentAttempt.id).join(Run, Run.id == AssignmentAttempt.run_id)
                          .where(AssignmentAttempt.assignment_id == assignment_id, Run.holdout.is_not(None))
                          .limit(1)) is not None


def update_assignment(session: Session, *, assignment_id: int, **fields) -> None:
    """Set an assignment's columns (its attempts keep their runs, goals and verdicts: they are rows of their own).

    A new goal binds only attempts made after it: an attempt without a goal of its own is first given the
    assignment's goal before the change (the one it was made under), in the same commit."""
    if "goal" in fields:
        current = select(Assignment.goal).where(Assignment.id == assignment_id).scalar_subquery()
        session.execute(update(AssignmentAttempt).where(AssignmentAttempt.assignment_id == assignment_id,
                                                        AssignmentAttempt.goal.is_(None)).values(goal=current))
    session.execute(update(Assignment).where(Assignment.id == assignment_id).values(**fields))
    session.commit()


def delete_assignment(session: Session, *, assignment_id: int) -> None:
    """The assignment, its attempts' rows and its lesson steps (the database cascades); the runs stay their
    students'."""
    session.execute(delete(Assignment).where(Assignment.id == assignment_id))
    session.commit()


def active_attempt_runs(session: Session, *, assignment_id: int | None = None, class_id: int | None = None,
                        status: tuple[str, ...] = ACTIVE) -> list[int]:
    """Ids of the attempt runs of one assignment (or of a whole class) whose status is in `status`."""
    source = class_runs(class_id) if class_id is not None else \
        select(AssignmentAttempt.run_id).where(AssignmentAttempt.assignment_id == assignment_id)
    return list(session.scalars(select(Run.id).where(Run.id.in_(source), Run.status.in_(status)).order_by(Run.id)))


def get_attempt(session: Session, *, attempt_id: int) -> AssignmentAttempt | None:
    return session.get(AssignmentAttempt, attempt_id, populate_existing=True)


def attempt_of_run(session: Session, *, run_id: int) -> AssignmentAttempt | None:
    return session.scalars(select(AssignmentAttempt).where(AssignmentAttempt.run_id == run_id)).first()


def attempt_instructors(session: Session, *, run_ids: list[int]) -> dict[int, int]:
    """{run id: the instructor of the class whose assignment it is an attempt at}, for those of these runs that
    are attempts."""
    if not run_ids:
        return {}
    rows = session.execute(select(AssignmentAttempt.run_id, Classroom.instructor_id)
                           .join(Assignment, Assignment.id == AssignmentAttempt.assignment_id)
                           .join(Classroom, Classroom.id == Assignment.class_id)
                           .where(AssignmentAttempt.run_id.in_(run_ids)))
    return {run_id: instructor for run_id, instructor in rows}


def attempts(session: Session, *, assignment_id: int, user_id: int | None = None
             ) -> list[tuple[AssignmentAttempt, Run, User]]:
    """An assignment's attempts (one student's, when given) with their runs and students, oldest first."""
    query = (select(AssignmentAttempt, Run, User).join(Run, Run.id == AssignmentAttempt.run_id)
             .join(User, User.id == AssignmentAttempt.user_id)
             .where(AssignmentAttempt.assignment_id == assignment_id).order_by(AssignmentAttempt.id))
    if user_id is not None:
        query = query.where(AssignmentAttempt.user_id == user_id)
    return [tuple(row) for row in session.execute(query).all()]


def count_attempts(session: Session, *, assignment_id: int, user_id: int | None = None) -> int:
    """Attempts that count (the one counting rule: budgets, dashboard, class page, grade CSV): every attempt
    made, whatever became of its run (succeeded, failed or cancelled), except those an instructor voided."""
    query = (select(func.count()).select_from(AssignmentAttempt)
             .where(AssignmentAttempt.assignment_id == assignment_id, AssignmentAttempt.voided_at.is_(None)))
    if user_id is not None:
        query = query.where(AssignmentAttempt.user_id == user_id)
    return session.scalar(query) or 0


def void_attempt(session: Session, *, attempt_id: int, actor_id: int, reason: str, action: str = "voided") -> bool:
    """Void an attempt (it stays, and no longer counts) and log who did it and why, in one commit; False when it
    was already voided (the guarded UPDATE lets two instructors' clicks at once void it once)."""
    row = session.get(AssignmentAttempt, attempt_id)
    done = session.execute(update(AssignmentAttempt).where(AssignmentAttempt.id == attempt_id,
                                                           AssignmentAttempt.voided_at.is_(None))
                           .values(voided_at=utcnow(), voided_by=actor_id, void_reason=reason)).rowcount
    if done:
        session.add(AttemptLog(assignment_id=row.assignment_id, attempt_id=attempt_id, actor_id=actor_id,
                               action=action, reason=reason))
    session.commit()
    session.refresh(row)
    return bool(done)


def set_feedback(session: Session, *, attempt_id: int, text: str | None, actor_id: int) -> None:
    """The instructor's feedback on an attempt (None or empty clears it)."""
    session.execute(update(AssignmentAttempt).where(AssignmentAttempt.id == attempt_id).values(
        feedback=text or None, feedback_at=utcnow() if text else None, feedback_by=actor_id if text else None))
    session.commit()


def set_extension(session: Session, *, assignment_id: int, user_id: int, due_at: datetime | None) -> None:
    """A student's own due date for an assignment (None removes it)."""
    session.execute(delete(Extension).where(Extension.assignment_id == assignment_id, Extension.user_id == user_id))
    if due_at is not None:
        session.add(Extension(assignment_id=assignment_id, user_id=user_id, due_at=due_at))
    session.commit()


def extensions(session: Session, *, assignment_id: int) -> dict[int, datetime]:
    """{user id: their due date} for the students with an extension."""
    rows = session.execute(select(Extension.user_id, Extension.due_at).where(Extension.assignment_id == assignment_id))
    return dict(rows.all())


def profiles(session: Session, *, user_ids: list[int]) -> dict[int, Profile]:
    return {p.user_id: p for p in session.scalars(select(Profile).where(Profile.user_id.in_(user_ids)))}


def set_profile(session: Session, *, user_id: int, full_name: str | None, email: str | None) -> None:
    row = session.get(Profile, user_id) or Profile(user_id=user_id)
    row.full_name, row.email = full_name or None, email or None
    session.add(row)
    session.commit()


def attempt_log(session: Session, *, assignment_id: int) -> list[tuple[AttemptLog, User | None]]:
    """An assignment's audit log, newest first, with who acted."""
    query = (select(AttemptLog, User).outerjoin(User, User.id == AttemptLog.actor_id)
             .where(AttemptLog.assignment_id == assignment_id).order_by(AttemptLog.id.desc()))
    return [tuple(row) for row in session.execute(query).all()]


def record_verdict(session: Session, *, attempt_id: int, passed: bool, reason: str) -> None:
    session.execute(update(AssignmentAttempt).where(AssignmentAttempt.id == attempt_id,
                                                    AssignmentAttempt.passed.is_(None))
                    .values(passed=passed, reason=reason))
    session.commit()


# --- quotas and class-wide actions -------------------------------------------------------------------------
def active_runs(session: Session, *, user_id: int) -> int:
    """A user's runs that are queued or running: what the per-user quota counts."""
    return session.scalar(select(func.count()).select_from(Run)
                          .where(Run.owner_id == user_id, Run.status.in_(ACTIVE))) or 0


def class_runs(class_id: int):
    """The ids of runs that are attempts on a class's assignments, as a subquery (visibility, cancelling)."""
    return (select(AssignmentAttempt.run_id).join(Assignment, Assignment.id == AssignmentAttempt.assignment_id)
            .where(Assignment.class_id == class_id))


def taught_runs(instructor_id: int):
    """The ids of runs that are attempts in any class an instructor teaches, as a subquery."""
    return (select(AssignmentAttempt.run_id).join(Assignment, Assignment.id == AssignmentAttempt.assignment_id)
            .join(Classroom, Classroom.id == Assignment.class_id).where(Classroom.instructor_id == instructor_id))


def students_taught(instructor_id: int):
    """The ids of users who are students in a class an instructor teaches, as a subquery (visibility)."""
    return (select(Membership.user_id).join(Classroom, Classroom.id == Membership.class_id)
            .where(Classroom.instructor_id == instructor_id))


def queued_class_runs(session: Session, *, class_id: int) -> list[int]:
    return list(session.scalars(select(Run.id).where(Run.id.in_(class_runs(class_id)), Run.status == "queued")
                                .order_by(Run.id)))


# --- lessons -------------------------------------------------------------------------------------------------
def create_lesson(session: Session, *, class_id: int, title: str, assignment_ids: list[int], description: str = "",
                  published: bool = False) -> Lesson:
    lesson = Lesson(class_id=class_id, title=title, description=description, published=published)
    session.add(lesson)
    session.flush()
    for position, assignment_id in enumerate(assignment_ids):
        session.add(LessonStep(lesson_id=lesson.id, position=position, assignment_id=assignment_id))
    session.commit()
    return lesson


def get_lesson(session: Session, *, lesson_id: int) -> Lesson | None:
    return session.get(Lesson, lesson_id, populate_existing=True)


def lessons_of(session: Session, *, class_id: int, published_only: bool = False) -> list[Lesson]:
    query = select(Lesson).where(Lesson.class_id == class_id).order_by(Lesson.id)
    if published_only:
        query = query.where(Lesson.published.is_(True))
    return list(session.scalars(query))


def lesson_assignments(session: Session, *, lesson_id: int) -> list[Assignment]:
    return list(session.scalars(select(Assignment).join(LessonStep, LessonStep.assignment_id == Assignment.id)
                                .where(LessonStep.lesson_id == lesson_id).order_by(LessonStep.position)))


def set_published(session: Session, *, lesson_id: int, published: bool) -> None:
    session.execute(update(Lesson).where(Lesson.id == lesson_id).values(published=published))
    session.commit()
