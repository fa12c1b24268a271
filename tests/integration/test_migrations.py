"""Migration 0002 (sweeps) upgrades a lab that already holds runs, and downgrades, on SQLite and PostgreSQL.

The trap it must avoid on SQLite: rebuilding `runs` to add a foreign key would drop the old table,
and with foreign keys on, that cascade-deletes every metric point.
"""

import uuid

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, text

from core.store.db import MIGRATIONS_DIR

from .conftest import PG_ADMIN, unavailable


def alembic(url: str, action: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    getattr(command, action)(config, revision)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'lab.db'}"
        return
    try:
        import psycopg

        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except Exception as e:
        unavailable("PostgreSQL at " + PG_ADMIN, e)
    name = f"forgetlab_migr_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + name
    from core.store.db import get_engine

    get_engine.cache_clear()
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def test_0002_keeps_existing_runs_and_their_points(empty_db):
    alembic(empty_db, "upgrade", "0001")
    engine = create_engine(empty_db)
    with engine.begin() as c:
        c.execute(text("INSERT INTO runs (status, config, config_hash, queue, total_steps, step, attempts, "
                       "cancel_requested, created_at) VALUES ('succeeded', '{}', 'abc', 'cpu', 2, 2, 1, false, "
                       "'2025-01-01')"))
        c.execute(text("INSERT INTO metric_points (run_id, step, key, value) VALUES (1, 0, 'k', 1.0), (1, 2, 'k', 0.5)"))
    engine.dispose()

    alembic(empty_db, "upgrade", "head")
    engine = create_engine(empty_db)
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM metric_points")).scalar() == 2
        assert c.execute(text("SELECT sweep_id FROM runs")).scalar() is None
    indexes = {i["name"] for i in inspect(engine).get_indexes("runs")}
    assert {"ix_runs_config_hash", "ix_runs_sweep_id"} <= indexes
    assert {"sweeps", "sweep_runs"} <= set(inspect(engine).get_table_names())
    engine.dispose()

    alembic(empty_db, "downgrade", "0001")
    engine = create_engine(empty_db)
    assert "sweep_id" not in {col["name"] for col in inspect(engine).get_columns("runs")}
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM metric_points")).scalar() == 2
    engine.dispose()
    alembic(empty_db, "upgrade", "head")  # and back up again


def test_0003_adds_datasets_and_drops_them_again(empty_db):
    from sqlalchemy.orm import Session

    from core.datasets import parse_jsonl
    from core.store.datasets import create_dataset, get_dataset, pairs_of

    alembic(empty_db, "upgrade", "head")
    engine = create_engine(empty_db)
    lines = "\n".join(f'{{"prompt": "frage {i} ü", "response": "antwort {i}"}}' for i in range(30)).encode()
    dataset = parse_jsonl(lines, "umlaute")
    with Session(engine) as session:
        assert create_dataset(session, dataset=dataset)[1]
    with Session(engine) as session:
        assert pairs_of(get_dataset(session, dataset_id=dataset.id)) == dataset.pairs  # JSON round trip, UTF-8
    assert "ix_datasets_created_at" in {i["name"] for i in inspect(engine).get_indexes("datasets")}
    engine.dispose()

    alembic(empty_db, "downgrade", "0002")
    engine = create_engine(empty_db)
    assert "datasets" not in inspect(engine).get_table_names()
    engine.dispose()
    alembic(empty_db, "upgrade", "head")
