"""each uploader's own dataset: user_datasets links owners to the pairs, stored once in datasets

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05

Before, a dataset's id (the hash of its pairs) was the key of `datasets`, so it belonged to its first
uploader, and a second user who uploaded the same pairs could not train on them. Now `datasets` keeps only the
content (id, pairs, when first stored), and `user_datasets` holds one row per owner and dataset: the name and
file size they uploaded it with. Each existing dataset becomes its uploader's row (owner_id NULL stays NULL:
uploaded before accounts). The key is a surrogate, since PostgreSQL allows no NULL in a primary key; a
unique index keeps one row per (id, owner). No foreign key to `datasets`, for the reason 0004 gives.

The downgrade keeps, per dataset, its earliest row: the other uploaders lose their rows, as the schema before
had room for one owner only.
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_datasets",
        sa.Column("link_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
    )
    op.execute("INSERT INTO user_datasets (id, owner_id, name, created_at, size_bytes) "
               "SELECT id, owner_id, name, created_at, size_bytes FROM datasets ORDER BY created_at, id")
    op.create_index("ux_user_datasets_id_owner", "user_datasets", ["id", "owner_id"], unique=True)
    op.create_index("ix_user_datasets_owner_created", "user_datasets", ["owner_id", "created_at"])
    op.drop_index("ix_datasets_owner_id", "datasets")
    op.drop_index("ix_datasets_created_at", "datasets")
    for column in ("owner_id", "name", "size_bytes"):
        op.drop_column("datasets", column)  # SQLite >= 3.35 drops a plain column in place, without a rebuild


def downgrade() -> None:
    op.add_column("datasets", sa.Column("name", sa.String(200), nullable=False, server_default=""))
    op.add_column("datasets", sa.Column("size_bytes", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("datasets", sa.Column("owner_id", sa.Integer(), nullable=True))
    first = ("(SELECT {column} FROM user_datasets u WHERE u.id = datasets.id "
             "ORDER BY u.created_at, u.link_id LIMIT 1)")
    op.execute("UPDATE datasets SET " + ", ".join(
        f"{column} = COALESCE({first.format(column=column)}, {default})"
        for column, default in (("name", "datasets.id"), ("size_bytes", "0"), ("owner_id", "NULL"))))
    op.create_index("ix_datasets_created_at", "datasets", ["created_at"])
    op.create_index("ix_datasets_owner_id", "datasets", ["owner_id"])
    op.drop_index("ix_user_datasets_owner_created", "user_datasets")
    op.drop_index("ux_user_datasets_id_owner", "user_datasets")
    op.drop_table("user_datasets")
