"""The tables the models declare (core/store/models/) are the tables the migrations make: on a SQLite lab migrated to
head, Alembic's autogenerate finds nothing to add, drop or change. A model moved between modules or edited without
its migration fails here."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from forgetlab.core.store.db import migrate
from forgetlab.core.store.models import Base


def test_the_migrations_at_head_make_exactly_the_models_tables(tmp_path):
    url = f"sqlite:///{tmp_path / 'lab.db'}"
    migrate(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []  # a table no imported module declares shows here as one to drop
