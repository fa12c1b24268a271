"""grades: points per goal clause, a late policy with per-student extensions, feedback on an attempt, and a
student's name and email for the gradebook export

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05

`assignments.points` ({clause: points}, NULL: all or nothing, 100 for a pass), `late_policy` (`hard`:
refused after the due date, what every assignment did before this revision, so existing rows get it;
`penalty`: accepted, `late_penalty` percent off per day late; `none`: accepted, flagged late) and
`extensions` (a student's own due date). `attempts.feedback` (Markdown, shown escaped), with who wrote it
and when. `profiles`: a user's full name and email when known, for the LMS-style CSV.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("assignments", sa.Column("points", sa.JSON(), nullable=True))
    op.add_column("assignments", sa.Column("late_policy", sa.String(16), nullable=False, server_default="hard"))
    op.add_column("assignments", sa.Column("late_penalty", sa.Float(), nullable=True))
    op.add_column("attempts", sa.Column("feedback", sa.Text(), nullable=True))
    op.add_column("attempts", sa.Column("feedback_at", sa.DateTime(), nullable=True))
    op.add_column("attempts", sa.Column("feedback_by", sa.Integer(), nullable=True))
    op.create_table(
        "profiles",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("full_name", sa.String(200), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
    )
    op.create_table(
        "extensions",
        sa.Column("assignment_id", sa.Integer(), sa.ForeignKey("assignments.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("due_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("extensions")
    op.drop_table("profiles")
    for table, column in (("attempts", "feedback_by"),
                          ("attempts", "feedback_at"), ("attempts", "feedback"), ("assignments", "late_penalty"),
                          ("assignments", "late_policy"), ("assignments", "points")):
        op.drop_column(table, column)
