"""run artifacts in the database: a run's saved model files as PostgreSQL large objects (core/store/artifacts.py)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05

In distributed mode the web and the workers need no shared volume: a worker streams a run's model files into
the database, and the web streams them out. One row per file; the bytes live in a large object (PostgreSQL).
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_artifacts",
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("oid", sa.BigInteger(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("run_artifacts")
