"""Teaching (migration 0005; core/store/classes.py): classes and their members, assignments, attempts and
their audit log, extensions, and lessons."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, NeverReused, utcnow

# --- classes (migration 0005; core/store/classes.py) ----------------------------------------------------
class Classroom(NeverReused, Base):
    """An instructor's class; students join it with its join code (/join/{code})."""

    __tablename__ = "classes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    instructor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    join_code: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Membership(Base):
    __tablename__ = "class_members"

    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    joined_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Assignment(NeverReused, Base):
    """A scenario template (core/assignments.Template as JSON), a goal, and the leaderboard's rules."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    instructions: Mapped[str] = mapped_column(Text, default="")  # Markdown, rendered with HTML escaped
    template: Mapped[dict] = mapped_column(JSON)
    goal: Mapped[str] = mapped_column(String(500))
    score: Mapped[str] = mapped_column(String(200), default="mean(retention)")
    higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)
    qualify: Mapped[str | None] = mapped_column(String(500), default=None)
    attempt_budget: Mapped[int | None] = mapped_column(Integer, default=None)  # per student
    run_budget: Mapped[int | None] = mapped_column(Integer, default=None)  # all students together
    due_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)  # naive UTC
    show_names: Mapped[bool] = mapped_column(Boolean, default=False)  # on the leaderboard students see
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Grades (migration 0014; core/grading.py): {clause: points} (None: 100 for a pass, else 0), and the late
    # policy: "hard" (refused after the due date), "penalty" (late_penalty percent off per day) or "none".
    points: Mapped[dict | None] = mapped_column(JSON, default=None)
    late_policy: Mapped[str] = mapped_column(String(16), default="hard")
    late_penalty: Mapped[float | None] = mapped_column(Float, default=None)
    # The held-out split (migration 0022, core/holdout.py): the share of probes kept private (None: no split) and
    # the random salt that picks them, never shown to students.
    private_share: Mapped[float | None] = mapped_column(Float, default=None)
    private_salt: Mapped[str | None] = mapped_column(String(64), default=None)


class AssignmentAttempt(NeverReused, Base):
    """A student's run on an assignment; `passed`/`reason` are the verdict of `goal` once the run has ended.

    `goal` is the assignment's goal when the attempt was made (migration 0009): the attempt is judged by it,
    so the assignment's goal may change while attempts run. None only for a row written without one; it is
    then judged by the assignment's goal (app/services/attempts.py, goal_of)."""

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    goal: Mapped[str | None] = mapped_column(String(500), default=None)
    passed: Mapped[bool | None] = mapped_column(Boolean, default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    # Voided by an instructor (migration 0012): the row stays, and no longer counts anywhere.
    voided_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    voided_by: Mapped[int | None] = mapped_column(Integer, default=None)  # users.id (no FK, as Run.owner_id)
    void_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # The instructor's feedback (migration 0014): Markdown, always shown with HTML escaped.
    feedback: Mapped[str | None] = mapped_column(Text, default=None)
    feedback_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    feedback_by: Mapped[int | None] = mapped_column(Integer, default=None)

    @property
    def voided(self) -> bool:
        return self.voided_at is not None


class AttemptLog(NeverReused, Base):
    """The audit log of what was done to an assignment's attempts, and why (migration 0012): an instructor
    voided one, or cancelled its queued run. Shown on the instructor's dashboard; never edited."""

    __tablename__ = "attempt_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    attempt_id: Mapped[int] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(Integer, default=None)
    action: Mapped[str] = mapped_column(String(32))  # "voided"
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Extension(Base):
    """A student's own due date for an assignment (migration 0014): the late policy reads it instead."""

    __tablename__ = "extensions"

    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(DateTime)


class Lesson(NeverReused, Base):
    """A published sequence of a class's assignments (LessonStep), e.g. "break it, then fix it"."""

    __tablename__ = "lessons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LessonStep(Base):
    __tablename__ = "lesson_steps"

    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
