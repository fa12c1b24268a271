"""the goal an attempt was made under, so an assignment's goal may change while attempts run

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29

`attempts.goal` is the assignment's goal when the attempt was made; the attempt is judged by it.
Attempts made before it are given their assignment's goal now: until this revision a goal could not
change while attempts were queued or running, and ended ones were judged before it did, so that is
the goal every one of them was made under. A plain nullable column: SQLite adds and drops it in
place, without rebuilding `attempts`.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("attempts", sa.Column("goal", sa.String(500), nullable=True))
    op.execute("UPDATE attempts SET goal = (SELECT assignments.goal FROM assignments "
               "WHERE assignments.id = attempts.assignment_id)")


def downgrade() -> None:
    op.drop_column("attempts", "goal")  # SQLite >= 3.35 drops a plain column in place, without a rebuild
