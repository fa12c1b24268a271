"""Roster and accounts: a CSV import makes student accounts with one-time set-password links, an instructor
resets a student's password the same way, and an invite-only lab needs a class code to sign up."""

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient

from forgetlab.core.settings import Settings
from forgetlab.core.store.db import migrate, session_factory
from tests.accounts import PASSWORD, bearer, login, make_user, same_site

ROSTER = "username,name,email\nCleo,Cleo Ng,cleo@example.edu\ndan,,\nann,Ann Lee,ann@example.edu\nzed,Zed,\n"


def lab(tmp_path, **extra):
    from forgetlab.app.main import create_app

    settings = Settings(data_dir=tmp_path, workers=0, database_url=None, redis_url=None, public=True,
                        rate_limit=0, read_rate_limit=0, **extra)
    migrate(settings.sqlalchemy_url)
    return create_app(settings), session_factory(settings.sqlalchemy_url)


@pytest.fixture
def public(tmp_path):
    app, sessions = lab(tmp_path)
    with TestClient(app) as client:
        teach = make_user(sessions, "teach", role="instructor")
        make_user(sessions, "ann")
        make_user(sessions, "zed")  # has an account, in no class of teach's
        as_teach = TestClient(app, headers=bearer(sessions, teach))
        room = as_teach.post("/api/classes", json={"name": "c"}).json()
        as_ann = same_site(TestClient(app))
        login(as_ann, "ann")
        assert as_ann.post("/api/classes/join", json={"code": room["join_code"]}).status_code == 200
        yield client, sessions, as_teach, room


def set_password(client, link: str, password: str):
    path = link.split("://", 1)[1].split("/", 1)[1]
    browser = same_site(TestClient(client.app))
    browser.get("/login")
    return browser.post("/" + path, data={"password": password}, follow_redirects=False), browser, "/" + path


def test_a_roster_import_makes_accounts_with_one_time_links(public):
    client, sessions, as_teach, room = public
    done = as_teach.post(f"/api/classes/{room['id']}/roster", json={"csv": ROSTER})
    assert done.status_code == 200, done.text
    students = {s["username"]: s for s in done.json()["students"]}
    assert {k: v["outcome"] for k, v in students.items()} == {
        "cleo": "created", "dan": "created", "ann": "already in the class", "zed": "refused"}
    assert students["zed"]["set_password_link"] is None and "join with the class" in students["zed"]["why"]
    assert as_teach.get(f"/api/classes/{room['id']}").json()["roster"] == ["ann", "cleo", "dan"]

    link = students["cleo"]["set_password_link"]
    assert re.search(r"/set-password/pl_[\w-]{40,}$", link)
    set_, browser, path = set_password(client, link, "short")
    assert set_.status_code == 422 and "at least 8 characters" in set_.text  # the link stays usable
    set_, browser, path = set_password(client, link, "cleo's long password")
    assert set_.status_code == 303
    assert login(same_site(TestClient(client.app)), "cleo", "cleo's long password").status_code == 303
    assert browser.get(path).status_code == 404  # used: it works once
    assert set_password(client, link, "another long password")[0].status_code == 404

    # the gradebook knows their name and email now
    aid = as_teach.post(f"/api/classes/{room['id']}/assignments",
                        json={"title": "t", "settings": {"task_examples": 50, "epochs": 1}, "goal": "task >= 0"}).json()
    rows = {r["username"]: r for r in csv.DictReader(io.StringIO(
        as_teach.get(f"/api/assignments/{aid['id']}/grades.csv").text))}
    assert (rows["cleo"]["name"], rows["cleo"]["email"], rows["dan"]["name"]) == ("Cleo Ng", "cleo@example.edu", "")


def test_a_bad_roster_names_each_line_and_makes_nothing(public):
    _, _, as_teach, room = public
    bad = as_teach.post(f"/api/classes/{room['id']}/roster", json={"csv": "ok1\nx\nfine,Fine,not-an-email\nok1\n"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "csv"
    reason = bad.json()["errors"][0]["reason"]
    assert "line 2" in reason and "line 3: 'not-an-email' is not an email address" in reason
    assert "line 4: ok1 is listed twice" in reason
    assert as_teach.get(f"/api/classes/{room['id']}").json()["roster"] == ["ann"]
    huge = as_teach.post(f"/api/classes/{room['id']}/roster", json={"csv": "x" * 131_073})  # past csv's field limit
    assert huge.status_code == 422 and "not a CSV file" in huge.json()["errors"][0]["reason"]
    page = as_teach.post(f"/classes/{room['id']}/roster", data={"csv": "x"})
    assert page.status_code == 422 and "line 1" in page.text


def test_the_import_page_shows_each_link_once(public):
    _, _, as_teach, room = public
    shown = as_teach.post(f"/classes/{room['id']}/roster", files={"file": ("r.csv", b"eve,Eve,\n")},
                          data={"csv": ""})
    assert shown.status_code == 200 and re.search(r'<code class="set-password-link">http://testserver/set-password/pl_',
                                                  shown.text)
    assert "set-password/pl_" not in as_teach.get(f"/classes/{room['id']}").text


def test_an_instructor_resets_a_students_password_with_a_link(public):
    client, sessions, as_teach, room = public
    made = as_teach.post(f"/api/classes/{room['id']}/students/ann/reset")
    assert made.status_code == 200
    first = made.json()["set_password_link"]
    link = as_teach.post(f"/api/classes/{room['id']}/students/ANN/reset").json()["set_password_link"]
    assert set_password(client, first, "replaced link password")[0].status_code == 404  # the newer one replaced it
    assert login(same_site(TestClient(client.app)), "ann").status_code == 303  # still works until the link is used
    assert set_password(client, link, "ann's new password")[0].status_code == 303
    old = same_site(TestClient(client.app)).post("/login", data={"name": "ann", "password": PASSWORD},
                                                 follow_redirects=False)
    assert old.status_code == 401  # the old password ends with the link's use
    assert login(same_site(TestClient(client.app)), "ann", "ann's new password").status_code == 303
    assert as_teach.post(f"/api/classes/{room['id']}/students/zed/reset").status_code == 404  # not in the class
    other = TestClient(client.app, headers=bearer(sessions, make_user(sessions, "other", role="instructor")))
    assert other.post(f"/api/classes/{room['id']}/students/ann/reset").status_code == 404
    page = as_teach.post(f"/classes/{room['id']}/students/ann/reset")
    assert page.status_code == 200 and 'id="reset-link"' in page.text


def test_an_invite_only_lab_needs_a_class_code_to_sign_up(tmp_path):
    app, sessions = lab(tmp_path, invite_only=True)
    with TestClient(app) as client:
        teach = make_user(sessions, "teach", role="instructor")
        room = TestClient(app, headers=bearer(sessions, teach)).post("/api/classes", json={"name": "c"}).json()
        same_site(client)
        assert "required: this lab is invite-only" in client.get("/signup").text
        refused = client.post("/signup", data={"name": "walkin", "password": "a long password"})
        assert refused.status_code == 422 and "invite-only" in refused.text
        wrong = client.post("/signup", data={"name": "walkin", "password": "a long password", "code": "NOPE2345"})
        assert wrong.status_code == 422 and "no class has this join code" in wrong.text
        joined = client.post("/signup", data={"name": "walkin", "password": "a long password",
                                              "code": room["join_code"]}, follow_redirects=False)
        assert joined.status_code == 303 and joined.headers["location"] == f"/classes/{room['id']}"
        assert TestClient(app, headers=bearer(sessions, teach)).get(
            f"/api/classes/{room['id']}").json()["roster"] == ["walkin"]
