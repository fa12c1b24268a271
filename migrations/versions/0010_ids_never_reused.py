"""ids are never reused: SQLite tables with user-visible integer ids get AUTOINCREMENT

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04

Without AUTOINCREMENT, SQLite gives a new row the highest id in use plus one, so deleting the newest
run hands its id to the next run, and anything still keyed by that id (its artifacts on disk, a link
someone kept) then points at another user's run. SQLite can only add AUTOINCREMENT by rebuilding the
table; each rebuilt table's counter starts at its highest id. migrations/env.py turns foreign keys
off while migrating SQLite, so the rebuild's DROP of the old table cascades to no referencing rows.
PostgreSQL's sequences never reuse an id: nothing changes there.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLES = ("runs", "sweeps", "users", "api_tokens", "classes", "assignments", "attempts", "lessons", "asks")


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass
        if autoincrement:  # the counter starts where the table's ids are (copying rows in already set it)
            op.execute(sa.text(f"INSERT INTO sqlite_sequence (name, seq) SELECT :t, MAX(id) FROM {table} "
                               "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = :t) "
                               "HAVING MAX(id) IS NOT NULL").bindparams(t=table))


def upgrade() -> None:
    _rebuild(autoincrement=True)


def downgrade() -> None:
    _rebuild(autoincrement=False)
