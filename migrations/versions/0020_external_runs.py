"""external runs: a run trained outside the lab (a Trainer callback, forgetlab.watch) that streams its points in

Revision ID: 0020
Revises: 0015
Create Date: 2026-12-05

The lab never queues, claims, retries or reaps an external run: its owner's training process sends its
points and ends it (forgetlab.integrations). The flag keeps the executor's and the reaper's hands off it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("external", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    # In place, never batch mode: rebuilding `runs` on SQLite would cascade-delete every metric point.
    op.drop_column("runs", "external")
