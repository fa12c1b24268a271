"""the admin role: only admins manage accounts and roles; the embedded lab's own user becomes its admin

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05

`users.role` is a plain string, so the new role needs no schema change. Until now every instructor could
manage every account; from here only an admin may. The embedded lab's local user (`local`, who is every
visitor of a lab that asks nobody to log in) becomes an admin, so that lab keeps its user admin. Other
instructors stay instructors: a lab that asks for log-in makes its first admin with
`forgetlab user role NAME admin` (app/cli_users.py). Downgrading turns admins back into instructors.
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE users SET role = 'admin' WHERE name = 'local' AND role = 'instructor'")


def downgrade() -> None:
    op.execute("UPDATE users SET role = 'instructor' WHERE role = 'admin'")
