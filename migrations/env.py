"""Alembic environment: the URL comes from app settings unless the caller (core.store.db.migrate) passed one."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from forgetlab.core.settings import get_settings
from forgetlab.core.store.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url") or get_settings().sqlalchemy_url


def run_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    if url.startswith("sqlite"):
        from forgetlab.core.store.db import (
            get_engine,  # creates the data directory and sets the SQLite pragmas
        )

        connectable = get_engine(url)
    else:
        connectable = create_engine(url, poolclass=pool.NullPool)
    with connectable.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # a batch rebuild drops the old table: with foreign keys on, that would cascade-delete
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # the rows referencing it (a run's points)
            connection.commit()
        try:
            # render_as_batch lets later ALTERs work on SQLite too, so one migration serves both databases.
            context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if sqlite:  # the connection goes back to the pool the app uses
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
