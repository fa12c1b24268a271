"""users' datasets

Revision ID: 0003
Revises: 0002
Create Date: 2025-12-12

One row per dataset, its pairs in one JSON column: a dataset is read whole (by the worker, to
train) and written once, so a row per pair would only add joins. Runs name a dataset in their
config (task "data:<id>"), not by a foreign key: the config is JSON.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("pairs", sa.JSON(), nullable=False),
    )
    op.create_index("ix_datasets_created_at", "datasets", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_datasets_created_at", "datasets")
    op.drop_table("datasets")
