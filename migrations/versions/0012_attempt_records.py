"""attempts are records: an instructor voids one (with a reason) instead of anyone deleting it; an audit log

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-05

`attempts.voided_at`, `voided_by` and `void_reason`: a voided attempt stays, shown struck out, and no
longer counts (budget, dashboard, class page, grade CSV, leaderboard). `attempt_log` keeps who did what to
an attempt and why (voided; its queued run cancelled by the instructor), for the instructor's dashboard.
Plain nullable columns and a new table: SQLite adds and drops them in place.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("attempts", sa.Column("voided_at", sa.DateTime(), nullable=True))
    op.add_column("attempts", sa.Column("voided_by", sa.Integer(), nullable=True))
    op.add_column("attempts", sa.Column("void_reason", sa.Text(), nullable=True))
    op.create_table(
        "attempt_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("assignment_id", sa.Integer(), sa.ForeignKey("assignments.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("attempt_log")
    op.drop_column("attempts", "void_reason")
    op.drop_column("attempts", "voided_by")
    op.drop_column("attempts", "voided_at")
