"""sweeps, their members, and the run-cache index

Revision ID: 0002
Revises: 0001
Create Date: 2025-12-04

A sweep lists its runs through `sweep_runs` (position -> run), so a run reused from the cache can
belong to several sweeps. `runs.sweep_id` records only the sweep that launched a run. It is a plain
indexed column, not a foreign key: adding a foreign key to an existing SQLite table means
rebuilding it, and dropping the old `runs` table would cascade-delete every metric point.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sweeps",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("axes", sa.JSON(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
    )
    op.create_table(
        "sweep_runs",
        sa.Column("sweep_id", sa.Integer(), sa.ForeignKey("sweeps.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("reused", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_sweep_runs_run_id", "sweep_runs", ["run_id"])
    op.add_column("runs", sa.Column("sweep_id", sa.Integer(), nullable=True))
    op.create_index("ix_runs_sweep_id", "runs", ["sweep_id"])
    op.create_index("ix_runs_config_hash", "runs", ["config_hash"])


def downgrade() -> None:
    op.drop_index("ix_runs_config_hash", "runs")
    op.drop_index("ix_runs_sweep_id", "runs")
    op.drop_column("runs", "sweep_id")  # SQLite >= 3.35 drops a plain column in place, without a rebuild
    op.drop_index("ix_sweep_runs_run_id", "sweep_runs")
    op.drop_table("sweep_runs")
    op.drop_table("sweeps")
