"""a run's name, tags and note, and the run a follow-up was made from

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("name", sa.String(120), nullable=True))
    op.add_column("runs", sa.Column("tags", sa.String(300), nullable=True))
    op.add_column("runs", sa.Column("note", sa.Text(), nullable=True))
    # No foreign key, like sweep_id: deleting a parent leaves its follow-ups (they say "parent deleted").
    op.add_column("runs", sa.Column("parent_id", sa.Integer(), nullable=True))
    op.create_index("ix_runs_parent_id", "runs", ["parent_id"])


def downgrade() -> None:
    # In place, never batch mode: rebuilding `runs` on SQLite would cascade-delete every metric point.
    op.drop_index("ix_runs_parent_id", "runs")
    for column in ("parent_id", "note", "tags", "name"):
        op.drop_column("runs", column)  # SQLite >= 3.35 drops a plain column in place, without a rebuild
