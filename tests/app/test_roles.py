"""Admins and instructors are separate roles: an instructor teaches their own classes and manages their
students' attempts, and nobody's account; only an admin manages accounts and roles. The first admin of an
existing lab is made from the command line (`forgetlab user role NAME admin`)."""

import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from forgetlab.core.settings import Settings
from forgetlab.core.store import accounts
from forgetlab.core.store.db import migrate, session_factory
from tests.accounts import bearer, login, make_user

TINY = {"task_examples": 50, "epochs": 1, "eval_every": 2}


@pytest.fixture
def public(tmp_path):
    """A lab with log-in on: (client, session factory)."""
    from forgetlab.app.main import create_app

    settings = Settings(data_dir=tmp_path, workers=0, database_url=None, redis_url=None, public=True,
                        rate_limit=0, read_rate_limit=0)
    migrate(settings.sqlalchemy_url)
    with TestClient(create_app(settings)) as c:
        yield c, session_factory(settings.sqlalchemy_url)


def test_an_instructor_cannot_make_accounts_promote_or_disable(public):
    """The reported bug: an instructor with no relation to another could do all three."""
    client, sessions = public
    make_user(sessions, "teach", role="instructor")
    other = make_user(sessions, "other", role="instructor")
    ann = make_user(sessions, "ann")
    login(client, "teach")
    assert client.get("/admin/users").status_code == 403
    assert client.post("/admin/users", data={"name": "mole", "password": "a long password",
                                              "role": "instructor"}).status_code == 403
    assert client.post(f"/admin/users/{ann.id}", data={"role": "instructor"}).status_code == 403
    assert client.post(f"/admin/users/{other.id}", data={"disabled": "true"}).status_code == 403
    with sessions() as session:
        assert accounts.get_user(session, user_id=ann.id).role == "student"
        assert not accounts.get_user(session, user_id=other.id).disabled
        assert accounts.user_by_name(session, "mole") is None
    assert 'href="/admin/users"' not in client.get("/classes").text


def test_an_admin_manages_accounts_and_may_teach(public):
    client, sessions = public
    make_user(sessions, "root", role="admin")
    ann = make_user(sessions, "ann")
    login(client, "root")
    assert 'href="/admin/users"' in client.get("/classes").text
    assert client.post(f"/admin/users/{ann.id}", data={"role": "instructor"}, follow_redirects=False).status_code == 303
    assert client.post("/api/classes", json={"name": "Admins teach too"}).status_code == 201


def test_an_instructor_manages_attempts_of_their_class_not_their_students_own_runs(public):
    client, sessions = public
    teach, ann = make_user(sessions, "teach", role="instructor"), make_user(sessions, "ann")
    as_teach = TestClient(client.app, headers=bearer(sessions, teach))
    as_ann = TestClient(client.app, headers=bearer(sessions, ann))
    room = as_teach.post("/api/classes", json={"name": "c"}).json()
    assert as_ann.post("/api/classes/join", json={"code": room["join_code"]}).status_code == 200
    made = as_teach.post(f"/api/classes/{room['id']}/assignments",
                         json={"title": "t", "settings": TINY, "goal": "task >= 0"}).json()
    attempt = as_ann.post(f"/api/assignments/{made['id']}/attempts", json={}).json()
    own = as_ann.post("/api/runs", json=TINY).json()["id"]
    assert as_teach.get(f"/api/runs/{own}").status_code == 200  # sees it, as before
    assert as_teach.post(f"/api/runs/{own}/cancel").status_code == 403  # but it is ann's to change
    assert as_teach.post(f"/api/runs/{own}/share", json={"shared": True}).status_code == 403
    assert as_teach.patch(f"/api/runs/{attempt['run_id']}", json={"note": "see me"}).status_code == 200


def test_the_first_admin_of_an_existing_lab_comes_from_the_command_line(tmp_path):
    settings = Settings(data_dir=tmp_path, database_url=None)
    migrate(settings.sqlalchemy_url)
    make_user(session_factory(settings.sqlalchemy_url), "ada", role="instructor")
    done = subprocess.run([sys.executable, "-m", "forgetlab.core.cli", "user", "role", "ada", "admin", "--data-dir",
                           str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ada is now an admin"
    with session_factory(settings.sqlalchemy_url)() as session:
        assert accounts.user_by_name(session, "ada").role == "admin"
