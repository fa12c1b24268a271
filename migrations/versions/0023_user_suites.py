"""engineers' own capability suites (core/suites.py)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05

One row per owner and suite: the id is the hash of the suite's name and items, so the same file uploaded
twice by one engineer is one row, and the same file uploaded by two is two rows, each private to its owner.
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_suites",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("owner_id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
    )
    op.create_index("ix_user_suites_owner_created", "user_suites", ["owner_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_user_suites_owner_created", "user_suites")
    op.drop_table("user_suites")
