"""the held-out split: an assignment keeps a share of its probes private (core/holdout.py)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05

`assignments.private_share` (NULL: no split, what every assignment did before this revision) and
`private_salt` (random, never shown to students: which probes are private). `runs.holdout` is the split an
attempt's run was measured with ({share, salt}; NULL: none), and `runs.private_summary` the private part of its
summary, kept apart from `runs.summary` so that no route that shows a summary shows it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("assignments", sa.Column("private_share", sa.Float(), nullable=True))
    op.add_column("assignments", sa.Column("private_salt", sa.String(64), nullable=True))
    op.add_column("runs", sa.Column("holdout", sa.JSON(), nullable=True))
    op.add_column("runs", sa.Column("private_summary", sa.JSON(), nullable=True))


def downgrade() -> None:
    # drop_column, not a batch rebuild: rebuilding `runs` on SQLite would cascade-delete its metric points.
    for table, column in (("runs", "private_summary"), ("runs", "holdout"), ("assignments", "private_salt"),
                          ("assignments", "private_share")):
        op.drop_column(table, column)
