"""Quotas hold under concurrent submissions (core/quotas.py `exclusive`): many POSTs fired at once at a real
`forgetlab serve`, on PostgreSQL and on SQLite, each request in its own server thread and database
connection, create no more runs than a student's active-run limit, and no more attempts than an
assignment's run budget. (With the lock taken out, all four cases fail: more runs and attempts get in.)

The lab here has no workers, so every run stays queued (active) and the counts cannot drift while the test
looks. Its database is its own, dropped at the end, so no other test's worker ever sees these runs.
"""

import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid

import pytest

from forgetlab.core.store.db import get_engine, migrate, session_factory

from ..browser.conftest import free_port, get_json
from .conftest import PG_ADMIN, ROOT, unavailable, wait_for

LIMIT = 3
SHOTS = 12
SMALL = {"task_examples": 50, "epochs": 1}


@pytest.fixture(scope="module")
def own_pg():
    import psycopg

    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as e:
        unavailable("PostgreSQL at " + PG_ADMIN, e)
    name = f"forgetlab_race_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    migrate(url.replace("postgresql://", "postgresql+psycopg://", 1))
    yield url
    get_engine.cache_clear()
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def served(request, tmp_path_factory):
    """(base URL, {name: bearer header}) of a public lab on PostgreSQL (a database of its own) or SQLite (the
    embedded default): students ada, bob, cy, dee, and the instructor teach."""
    from forgetlab.core.settings import Settings
    from forgetlab.core.store import accounts

    data_dir = tmp_path_factory.mktemp("race")
    if request.param == "postgresql":
        database = request.getfixturevalue("own_pg")
        url = database.replace("postgresql://", "postgresql+psycopg://", 1)
    else:
        database = None
        url = Settings(data_dir=data_dir, database_url=None).sqlalchemy_url
        migrate(url)
    sessions = session_factory(url)
    tokens = {}
    with sessions() as session:
        for name in ("ada", "bob", "cy", "dee", "teach"):
            user = accounts.create_user(session, name=name, password=None,
                                        role="instructor" if name == "teach" else "student")
            tokens[name] = {"Authorization": "Bearer " + accounts.create_token(session, user=user, name="race")[1]}
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")},
           **({"DATABASE_URL": database} if database else {}), "FORGETLAB_WORKERS": "0", "FORGETLAB_MAX_ACTIVE_RUNS": str(LIMIT), "FORGETLAB_RATE_LIMIT": "0",
           "FORGETLAB_READ_RATE_LIMIT": "0"}
    proc = subprocess.Popen([sys.executable, "-m", "forgetlab.core.cli", "serve", "--public", "--port", str(port),
                             "--data-dir", str(data_dir), "--log-level", "warning"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"

    def up():
        try:
            return bool(get_json(url + "api/health"))
        except OSError:
            return False

    try:
        wait_for(up, 60, 0.2, "the lab to answer")
        yield url, tokens
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def post(url: str, body: dict, headers: dict) -> int:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def at_once(calls) -> list[int]:
    """Run every call in its own thread, released together; their HTTP statuses."""
    gate, codes = threading.Barrier(len(calls)), [None] * len(calls)

    def fire(i, call):
        gate.wait()
        codes[i] = call()

    threads = [threading.Thread(target=fire, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return codes


def test_a_students_active_run_limit_holds_under_concurrent_posts(served):
    url, tokens = served
    codes = at_once([lambda: post(url + "api/runs", SMALL, tokens["ada"])] * SHOTS)
    assert sorted(codes) == [201] * LIMIT + [429] * (SHOTS - LIMIT), codes
    mine = get_json_as(url + "api/runs?limit=200", tokens["ada"])["runs"]
    assert len([r for r in mine if r["status"] == "queued"]) == LIMIT


def test_an_assignments_run_budget_holds_under_concurrent_attempts(served):
    url, tokens = served
    room = post_json(url + "api/classes", {"name": "Race"}, tokens["teach"])
    budget = 2
    work = post_json(url + f"api/classes/{room['id']}/assignments",
                     {"title": "Once or twice", "settings": SMALL, "goal": "task >= 0.5", "run_budget": budget},
                     tokens["teach"])
    students = ("bob", "cy", "dee")
    for name in students:
        post_json(url + "api/classes/join", {"code": room["join_code"]}, tokens[name])
    calls = [(lambda h=tokens[name]: post(url + f"api/assignments/{work['id']}/attempts", {}, h))
             for name in students for _ in range(2)]  # 6 attempts, 2 per student: each under LIMIT alone
    codes = at_once(calls)
    assert sorted(codes) == [201] * budget + [429] * (len(calls) - budget), codes
    attempts = get_json_as(url + f"api/assignments/{work['id']}/attempts", tokens["teach"])
    assert len(attempts["attempts"]) == budget


def get_json_as(url: str, headers: dict):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as r:
        return json.loads(r.read())


def post_json(url: str, body: dict, headers: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", **headers})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())
