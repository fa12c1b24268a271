"""delivery and checkpoint bookkeeping for runs (the outbox and resumed runs)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28

`runs.sent_at` is the outbox: when the run's message last went to the executor. A queued run with
none was never sent (the broker was down when it was created or re-queued); the web's reconciler
sends it. A plain nullable column: SQLite adds it in place, without rebuilding `runs`.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("sent_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("runs", "sent_at")
