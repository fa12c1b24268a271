"""Migration 0002 (sweeps) upgrades a lab that already holds runs, and downgrades, on SQLite and PostgreSQL.

The trap it must avoid on SQLite: rebuilding `runs` to add a foreign key would drop the old table,
and with foreign keys on, that cascade-deletes every metric point.
"""

import json
import uuid

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, text

from forgetlab.core.store.db import MIGRATIONS_DIR

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
    from forgetlab.core.store.db import get_engine

    get_engine.cache_clear()
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def add_old_run(url: str) -> None:
    """A finished run with two points, written as the schema before a revision had it (columns of 0001)."""
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text("INSERT INTO runs (status, config, config_hash, queue, total_steps, step, attempts, "
                       "cancel_requested, created_at) VALUES ('succeeded', '{}', 'abc', 'cpu', 2, 2, 1, false, "
                       "'2025-01-01')"))
        c.execute(text("INSERT INTO metric_points (run_id, step, key, value) VALUES (1, 0, 'k', 1.0), (1, 2, 'k', 0.5)"))
    engine.dispose()


def test_0002_keeps_existing_runs_and_their_points(empty_db):
    alembic(empty_db, "upgrade", "0001")
    add_old_run(empty_db)

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

    from forgetlab.core.datasets import parse_jsonl
    from forgetlab.core.store.datasets import create_dataset, get_dataset, pairs_of

    alembic(empty_db, "upgrade", "head")
    engine = create_engine(empty_db)
    lines = "\n".join(f'{{"prompt": "frage {i} ü", "response": "antwort {i}"}}' for i in range(30)).encode()
    dataset = parse_jsonl(lines, "umlaute")
    with Session(engine) as session:
        assert create_dataset(session, dataset=dataset)[1]
    with Session(engine) as session:
        assert pairs_of(get_dataset(session, dataset_id=dataset.id, owner_id=None)) == dataset.pairs  # UTF-8 JSON
    assert "ux_user_datasets_id_owner" in {i["name"] for i in inspect(engine).get_indexes("user_datasets")}
    engine.dispose()

    alembic(empty_db, "downgrade", "0002")
    engine = create_engine(empty_db)
    assert "datasets" not in inspect(engine).get_table_names()
    engine.dispose()
    alembic(empty_db, "upgrade", "head")


def test_0005_classes_store_a_whole_class_and_drop_again(empty_db):
    """Classes, members, an assignment, an attempt on a run and a lesson, written through core.store.classes."""
    from sqlalchemy.orm import Session

    from forgetlab.core.store import classes
    from forgetlab.core.store.models import Run, User

    alembic(empty_db, "upgrade", "head")
    engine = create_engine(empty_db)
    with Session(engine) as session:
        teacher, student = User(name="teacher", role="instructor"), User(name="pupil", role="student")
        run = Run(status="queued", config={}, config_hash="abc", queue="cpu", owner_id=None)
        session.add_all([teacher, student, run])
        session.commit()
        room = classes.create_class(session, name="Forgetting 101", instructor_id=teacher.id)
        assert classes.join(session, class_id=room.id, user_id=student.id)
        assert not classes.join(session, class_id=room.id, user_id=student.id)  # once only
        task = classes.create_assignment(session, class_id=room.id, title="Break it", template={"base": {}},
                                         goal="task >= 0.9")
        attempt = classes.create_attempt(session, assignment_id=task.id, user_id=student.id, run_id=run.id)
        classes.create_lesson(session, class_id=room.id, title="Lesson", assignment_ids=[task.id], published=True)
        classes.record_verdict(session, attempt_id=attempt.id, passed=True, reason="task 1 >= 0.9")
        classes.record_verdict(session, attempt_id=attempt.id, passed=False, reason="written once only")
        assert classes.get_attempt(session, attempt_id=attempt.id).reason == "task 1 >= 0.9"
        assert classes.class_by_code(session, code=room.join_code.lower()).id == room.id
        assert classes.queued_class_runs(session, class_id=room.id) == [run.id]
        assert [a.title for a in classes.lesson_assignments(session, lesson_id=1)] == ["Break it"]
    engine.dispose()

    alembic(empty_db, "downgrade", "0004")
    engine = create_engine(empty_db)
    tables = set(inspect(engine).get_table_names())
    assert not tables & {"classes", "class_members", "assignments", "attempts", "lessons", "lesson_steps"}
    assert {"users", "runs"} <= tables
    engine.dispose()
    alembic(empty_db, "upgrade", "head")


def test_0004_accounts_keep_existing_runs_ownerless_and_drop_again(empty_db):
    """Runs made before accounts keep their points and read as ownerless and not shared; users, sessions and
    tokens work on both databases; downgrading to 0003 removes them and keeps the points."""
    from sqlalchemy.orm import Session

    from forgetlab.core.store import accounts

    alembic(empty_db, "upgrade", "0003")
    add_old_run(empty_db)

    alembic(empty_db, "upgrade", "0004")
    engine = create_engine(empty_db)
    with engine.connect() as c:
        assert c.execute(text("SELECT owner_id, shared FROM runs")).one() in ((None, False), (None, 0))
        assert c.execute(text("SELECT count(*) FROM metric_points")).scalar() == 2
    assert {"ix_runs_owner_id", "ix_sweeps_owner_id", "ix_datasets_owner_id"} <= {
        i["name"] for t in ("runs", "sweeps", "datasets") for i in inspect(engine).get_indexes(t)}
    with Session(engine, expire_on_commit=False) as session:
        teacher = accounts.create_user(session, name="teacher", password="a long password", role="instructor")
        student = accounts.create_user(session, name="pupil", password="a long password")
        _, token = accounts.create_token(session, user=student, name="ci")
        assert accounts.token_user(session, token).id == student.id
        secret = accounts.start_session(session, user=teacher, days=1)
        assert accounts.session_user(session, secret)[0].id == teacher.id
    engine.dispose()

    alembic(empty_db, "downgrade", "0003")
    engine = create_engine(empty_db)
    assert not {"users", "user_sessions", "api_tokens"} & set(inspect(engine).get_table_names())
    assert not {"owner_id", "shared"} & {col["name"] for col in inspect(engine).get_columns("runs")}
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM metric_points")).scalar() == 2
    engine.dispose()
    alembic(empty_db, "upgrade", "0004")  # and back up again


def test_0009_gives_every_attempt_its_assignments_goal_and_drops_it_again(empty_db):
    """Attempts made before 0009 get their own assignment's goal (what they were made under); new ones record
    the goal they are made under, which a later change of the assignment's goal leaves alone."""
    from sqlalchemy.orm import Session

    from forgetlab.core.store import classes

    alembic(empty_db, "upgrade", "0008")
    engine = create_engine(empty_db)
    with engine.begin() as c:
        for run_id in (1, 2, 3, 4):
            c.execute(text("INSERT INTO runs (id, status, config, config_hash, queue, total_steps, step, attempts, "
                           "cancel_requested, created_at) VALUES (:id, 'queued', '{}', 'abc', 'cpu', 2, 0, 0, false, "
                           "'2026-01-01')"), {"id": run_id})
        c.execute(text("INSERT INTO users (id, name, role, disabled, created_at) VALUES "
                       "(1, 'teacher', 'instructor', false, '2026-01-01'), (2, 'pupil', 'student', false, '2026-01-01')"))
        c.execute(text("INSERT INTO classes (id, name, instructor_id, join_code, created_at) "
                       "VALUES (1, 'Forgetting 101', 1, 'ABCDEFGH', '2026-01-01')"))
        for aid, goal in ((1, "task >= 0.9"), (2, "all(drop) <= 0.10")):
            c.execute(text("INSERT INTO assignments (id, class_id, title, instructions, template, goal, score, "
                           "higher_is_better, show_names, created_at) VALUES (:id, 1, 'A', '', '{}', :goal, "
                           "'mean(retention)', true, false, '2026-01-01')"), {"id": aid, "goal": goal})
        for aid, run_id, passed in ((1, 1, True), (1, 2, None), (2, 3, None)):  # ids from the sequence (PostgreSQL)
            c.execute(text("INSERT INTO attempts (assignment_id, user_id, run_id, created_at, passed) "
                           "VALUES (:aid, 2, :run, '2026-01-01', :passed)"), {"aid": aid, "run": run_id, "passed": passed})
    engine.dispose()

    alembic(empty_db, "upgrade", "head")
    engine = create_engine(empty_db)
    with engine.connect() as c:
        assert c.execute(text("SELECT run_id, goal, passed FROM attempts ORDER BY run_id")).all() == [
            (1, "task >= 0.9", True), (2, "task >= 0.9", None), (3, "all(drop) <= 0.10", None)]
    with Session(engine) as session:
        made = classes.create_attempt(session, assignment_id=1, user_id=2, run_id=4)
        assert made.goal == "task >= 0.9"
        session.execute(text("UPDATE attempts SET goal = NULL WHERE run_id = 2"))  # a row written without one
        classes.update_assignment(session, assignment_id=1, goal="task >= 0.5")
        assert classes.get_attempt(session, attempt_id=made.id).goal == "task >= 0.9"  # the goal it was made under
        assert session.scalar(text("SELECT goal FROM attempts WHERE run_id = 2")) == "task >= 0.9"  # given it first
        assert session.scalar(text("SELECT goal FROM attempts WHERE run_id = 3")) == "all(drop) <= 0.10"
    engine.dispose()

    alembic(empty_db, "downgrade", "0008")
    engine = create_engine(empty_db)
    assert "goal" not in {col["name"] for col in inspect(engine).get_columns("attempts")}
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM attempts")).scalar() == 4
    engine.dispose()
    alembic(empty_db, "upgrade", "head")  # and back up again


def test_0010_ids_are_never_reused_and_the_rebuild_keeps_every_referencing_row(empty_db):
    """On SQLite 0010 rebuilds the tables with AUTOINCREMENT; the rebuild must cascade-delete nothing
    (a run's points, an attempt), and afterwards a deleted run's id is not given out again."""
    alembic(empty_db, "upgrade", "0009")
    add_old_run(empty_db)
    engine = create_engine(empty_db)
    with engine.begin() as c:
        c.execute(text("INSERT INTO runs (id, status, config, config_hash, queue, total_steps, step, attempts, "
                       "cancel_requested, created_at) VALUES (2, 'queued', '{}', 'abc', 'cpu', 2, 0, 0, false, "
                       "'2026-01-01')"))
        c.execute(text("INSERT INTO metric_points (run_id, step, key, value) VALUES (2, 0, 'k', 1.0)"))
    engine.dispose()

    alembic(empty_db, "upgrade", "head")
    engine = create_engine(empty_db)
    insert = text("INSERT INTO runs (status, config, config_hash, queue, total_steps, step, attempts, "
                  "cancel_requested, created_at) VALUES ('queued', '{}', 'abc', 'cpu', 2, 0, 0, false, '2026-01-02')")
    with engine.begin() as c:
        assert c.execute(text("SELECT count(*) FROM metric_points")).scalar() == 3
        if engine.dialect.name == "postgresql":  # rows inserted with explicit ids leave the sequence behind
            c.execute(text("SELECT setval('runs_id_seq', 2)"))
        c.execute(text("DELETE FROM metric_points WHERE run_id = 2"))  # this engine has no cascade on SQLite
        c.execute(text("DELETE FROM runs WHERE id = 2"))
        c.execute(insert)
        assert c.execute(text("SELECT max(id) FROM runs")).scalar() == 3
        c.execute(text("DELETE FROM runs WHERE id = 3"))
        c.execute(insert)
        assert c.execute(text("SELECT max(id) FROM runs")).scalar() == 4
    engine.dispose()

    alembic(empty_db, "downgrade", "0009")
    engine = create_engine(empty_db)
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM metric_points")).scalar() == 2  # run 1's, kept both ways
    engine.dispose()
    alembic(empty_db, "upgrade", "head")  # and back up again


def test_0024_makes_each_dataset_its_uploaders_row_over_the_same_pairs_and_back(empty_db):
    """Each dataset stored before 0024 becomes its uploader's row (ownerless stays ownerless), its pairs stay
    where they were; a second uploader of the same pairs then gets a row of their own. Downgrading keeps each
    dataset under its earliest row."""
    from sqlalchemy.orm import Session

    from forgetlab.core.datasets import parse_jsonl
    from forgetlab.core.store.datasets import create_dataset, get_dataset, pairs_of, stored_pairs

    alembic(empty_db, "upgrade", "0023")
    lines = "\n".join(f'{{"prompt": "frage {i} ü", "response": "antwort {i}"}}' for i in range(30)).encode()
    dataset = parse_jsonl(lines, "umlaute")
    pairs = json.dumps([[p, r] for p, r in dataset.pairs], ensure_ascii=False)
    engine = create_engine(empty_db)
    with engine.begin() as c:
        insert = text("INSERT INTO datasets (id, name, created_at, size_bytes, pairs, owner_id) "
                      "VALUES (:id, :name, :at, :size, :pairs, :owner)")
        c.execute(insert, {"id": dataset.id, "name": "ada's", "at": "2026-01-01", "size": 123, "pairs": pairs,
                           "owner": 7})
        c.execute(insert, {"id": "0123456789abcdef", "name": "old", "at": "2025-01-01", "size": 9, "pairs": "[]",
                           "owner": None})
    engine.dispose()

    alembic(empty_db, "upgrade", "head")
    engine = create_engine(empty_db)
    assert {c["name"] for c in inspect(engine).get_columns("datasets")} == {"id", "created_at", "pairs"}
    with Session(engine) as session:
        ada = get_dataset(session, dataset_id=dataset.id, owner_id=7)
        assert (ada.name, ada.size_bytes) == ("ada's", 123) and pairs_of(ada) == dataset.pairs
        assert get_dataset(session, dataset_id="0123456789abcdef", owner_id=None).name == "old"
        bob, created = create_dataset(session, dataset=parse_jsonl(lines, "bob's"), owner_id=8)
        assert created and bob.id == ada.id and pairs_of(bob) == stored_pairs(session, dataset_id=dataset.id)
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM datasets")).scalar() == 2
        assert c.execute(text("SELECT count(*) FROM user_datasets")).scalar() == 3
    engine.dispose()

    alembic(empty_db, "downgrade", "0023")
    engine = create_engine(empty_db)
    assert "user_datasets" not in inspect(engine).get_table_names()
    with engine.connect() as c:
        rows = c.execute(text("SELECT id, name, size_bytes, owner_id FROM datasets ORDER BY id")).all()
    assert [tuple(r) for r in rows] == sorted([(dataset.id, "ada's", 123, 7), ("0123456789abcdef", "old", 9, None)])
    assert "ix_datasets_owner_id" in {i["name"] for i in inspect(engine).get_indexes("datasets")}
    engine.dispose()
    alembic(empty_db, "upgrade", "head")  # and back up again
