"""Real services for integration tests: a PostgreSQL database of our own, a Redis DB index of our own,
and a Celery worker subprocess. With FORGETLAB_REQUIRE_SERVICES=1 (CI) a missing service fails the
test instead of skipping it.
"""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = os.environ.get("FORGETLAB_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("FORGETLAB_TEST_REDIS", "redis://127.0.0.1:6379")
TINY = {"task_examples": 100, "epochs": 2, "eval_every": 1}  # 8 steps, 9 curve points, well under a second
LONG = {"task_examples": 3000, "epochs": 8, "eval_every": 20}  # hundreds of steps: time to cancel it


def unavailable(what: str, why: Exception | str):
    message = f"{what} is not available: {why}"
    if os.environ.get("FORGETLAB_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " (FORGETLAB_REQUIRE_SERVICES=1: services are required)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_url():
    """A fresh database per test session, dropped at the end, so parallel sessions never collide."""
    try:
        import psycopg

        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except Exception as e:
        unavailable("PostgreSQL at " + PG_ADMIN, e)
    name = f"forgetlab_test_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    from forgetlab.core.store.db import migrate

    migrate(url.replace("postgresql://", "postgresql+psycopg://", 1))
    yield url
    from forgetlab.core.store.db import get_engine

    get_engine.cache_clear()  # close pooled connections before dropping
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="session")
def redis_url():
    """An empty Redis DB index of our own (broker lists and streams alike), flushed at the end."""
    try:
        import redis

        probe = redis.Redis.from_url(REDIS, socket_connect_timeout=3)
        probe.ping()
    except Exception as e:
        unavailable("Redis at " + REDIS, e)
    for db in range(15, 0, -1):
        client = redis.Redis.from_url(f"{REDIS}/{db}")
        if client.dbsize() == 0 and client.set("forgetlab:test:lock", "1", nx=True, ex=3600):
            break
    else:
        pytest.fail("no empty Redis database index for this test session")
    yield f"{REDIS}/{db}"
    client.flushdb()


@pytest.fixture(scope="session")
def pg_token(pg_url) -> str:
    """An instructor's API token in the session's PostgreSQL database: the distributed lab always asks
    who is calling (docs/accounts.md)."""
    from forgetlab.core.store import accounts
    from forgetlab.core.store.db import session_factory

    with session_factory(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))() as session:
        user = accounts.create_user(session, name="ci-instructor", password=None, role="instructor")
        return accounts.create_token(session, user=user, name="integration tests")[1]


def service_env(pg_url: str, redis_url: str, **extra) -> dict:
    return {**os.environ, "DATABASE_URL": pg_url, "REDIS_URL": redis_url, "FORGETLAB_REDIS_PREFIX": "fltest",
            "FORGETLAB_HEARTBEAT_TIMEOUT": "4", "FORGETLAB_MAX_ATTEMPTS": "2", **extra}


class Worker:
    """A `celery -A forgetlab.worker.celery_app worker` subprocess; `ready` is set when it says so."""

    def __init__(self, env: dict, queue: str = "cpu", concurrency: int = 1):
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "forgetlab.worker.celery_app", "worker", "--queues", queue,
             "--concurrency", str(concurrency), "--pool", "prefork", "--loglevel", "info", "--without-gossip",
             "--without-mingle", "--hostname", f"test-{uuid.uuid4().hex[:6]}@%h"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)
            if " ready." in line:
                self.ready.set()

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@contextmanager
def distributed_lab(pg_url: str, redis_url: str, pg_token: str):
    """A client of the distributed web app (PostgreSQL, Celery over Redis), as the instructor of `pg_token`."""
    from forgetlab.app.main import create_app
    from forgetlab.core.settings import Settings

    settings = Settings(database_url=pg_url, redis_url=redis_url, redis_prefix="fltest", heartbeat_timeout=4,
                        reap_seconds=0.5, max_attempts=2)
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/runs").status_code == 401  # distributed: login is always on
        client.headers["Authorization"] = f"Bearer {pg_token}"
        yield client


@contextmanager
def started_worker(env: dict, **options):
    """A `Worker` (its options: queue, concurrency) once it says it is ready, stopped afterwards."""
    worker = Worker(env, **options)
    try:
        if not worker.ready.wait(90):
            pytest.fail("the Celery worker did not start:\n" + "".join(worker.lines[-40:]))
        yield worker
    finally:
        worker.stop()


@pytest.fixture(scope="module")
def celery_worker(pg_url, redis_url):
    with started_worker(service_env(pg_url, redis_url)) as worker:
        yield worker


def wait_for(predicate, timeout: float, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
