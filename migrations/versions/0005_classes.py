"""classes, memberships, assignments, attempts and lessons (teaching)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28

New tables only, so SQLite needs no table rebuild. An attempt points at its run with a foreign key
(the attempts table is new, unlike runs in 0002), and a run belongs to at most one attempt.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "classes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("instructor_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("join_code", sa.String(16), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_classes_instructor_id", "classes", ["instructor_id"])
    op.create_table(
        "class_members",
        sa.Column("class_id", sa.Integer(), sa.ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("joined_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_class_members_user_id", "class_members", ["user_id"])
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("class_id", sa.Integer(), sa.ForeignKey("classes.id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False),
        sa.Column("template", sa.JSON(), nullable=False),
        sa.Column("goal", sa.String(500), nullable=False),
        sa.Column("score", sa.String(200), nullable=False),
        sa.Column("higher_is_better", sa.Boolean(), nullable=False),
        sa.Column("qualify", sa.String(500), nullable=True),
        sa.Column("attempt_budget", sa.Integer(), nullable=True),
        sa.Column("run_budget", sa.Integer(), nullable=True),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("show_names", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_assignments_class_id", "assignments", ["class_id"])
    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("assignment_id", sa.Integer(), sa.ForeignKey("assignments.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_attempts_assignment_id", "attempts", ["assignment_id"])
    op.create_index("ix_attempts_user_id", "attempts", ["user_id"])
    op.create_table(
        "lessons",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("class_id", sa.Integer(), sa.ForeignKey("classes.id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_lessons_class_id", "lessons", ["class_id"])
    op.create_table(
        "lesson_steps",
        sa.Column("lesson_id", sa.Integer(), sa.ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("assignment_id", sa.Integer(), sa.ForeignKey("assignments.id", ondelete="CASCADE"),
                  nullable=False),
    )
    op.create_index("ix_lesson_steps_assignment_id", "lesson_steps", ["assignment_id"])


def downgrade() -> None:
    op.drop_index("ix_lesson_steps_assignment_id", "lesson_steps")
    op.drop_table("lesson_steps")
    op.drop_index("ix_lessons_class_id", "lessons")
    op.drop_table("lessons")
    op.drop_index("ix_attempts_user_id", "attempts")
    op.drop_index("ix_attempts_assignment_id", "attempts")
    op.drop_table("attempts")
    op.drop_index("ix_assignments_class_id", "assignments")
    op.drop_table("assignments")
    op.drop_index("ix_class_members_user_id", "class_members")
    op.drop_table("class_members")
    op.drop_index("ix_classes_instructor_id", "classes")
    op.drop_table("classes")
