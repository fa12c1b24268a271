"""core fixtures: a fresh SQLite database per test, migrated, with a session factory."""

import pytest

from forgetlab.core.settings import Settings
from forgetlab.core.store.db import migrate, session_factory


@pytest.fixture
def sessions(tmp_path):
    settings = Settings(data_dir=tmp_path, workers=0, database_url=None, redis_url=None)
    migrate(settings.sqlalchemy_url)
    return session_factory(settings.sqlalchemy_url)
