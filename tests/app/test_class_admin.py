"""Instructors edit and delete their assignments and classes (API and pages): only the class's instructor
may, and attempts already made keep their runs (with the settings they started with) and their verdicts."""

import pytest

from forgetlab.core.store import accounts, runs

from .conftest import finish

SMALL = {"task_examples": 64, "epochs": 1, "lr": 0.001}
BODY = {"title": "Keep it", "settings": SMALL, "locked": ["lr"], "goal": "task >= 0.5", "attempt_budget": 5}


@pytest.fixture
def users(sessions):
    """name -> Authorization headers: the class's instructor, a student in it, and an instructor of no class."""
    out = {}
    with sessions() as session:
        for name, role in (("teach", "instructor"), ("ann", "student"), ("other", "instructor")):
            user = accounts.create_user(session, name=name, password=None, role=role)
            out[name] = {"Authorization": f"Bearer {accounts.create_token(session, user=user, name='t')[1]}"}
    return out


@pytest.fixture
def course(client, users):
    room = client.post("/api/classes", json={"name": "Forgetting 101"}, headers=users["teach"]).json()
    assert client.post("/api/classes/join", json={"code": room["join_code"]}, headers=users["ann"]).status_code == 200
    made = client.post(f"/api/classes/{room['id']}/assignments", json=BODY, headers=users["teach"])
    assert made.status_code == 201, made.text
    return room, made.json()["id"]


def attempt(client, users, aid, body=None):
    made = client.post(f"/api/assignments/{aid}/attempts", json=body or {}, headers=users["ann"])
    assert made.status_code == 201, made.text
    return made.json()


def test_editing_a_locked_field_binds_new_attempts_and_leaves_made_ones(client, users, sessions, course):
    _, aid = course
    first = attempt(client, users, aid)
    finish(sessions, first["run_id"], task=1.0)
    waiting = attempt(client, users, aid)  # still queued when the assignment changes

    edited = client.put(f"/api/assignments/{aid}", json={**BODY, "settings": {**SMALL, "lr": 0.002}},
                        headers=users["teach"])
    assert edited.status_code == 200, edited.text
    assert edited.json()["scenario"]["lr"] == 0.002 and edited.json()["locked"] == ["tier", "lr"]
    with sessions() as session:  # attempts made keep the settings they started with
        assert runs.get_run(session, run_id=first["run_id"]).config["lr"] == 0.001
        assert runs.get_run(session, run_id=waiting["run_id"]).config["lr"] == 0.001
    old = client.post(f"/api/assignments/{aid}/attempts", json={"lr": 0.001}, headers=users["ann"])
    assert old.status_code == 422 and old.json()["errors"][0]["field"] == "lr"  # the new locked value rules
    new = attempt(client, users, aid)
    with sessions() as session:
        assert runs.get_run(session, run_id=new["run_id"]).config["lr"] == 0.002
    listed = client.get(f"/api/assignments/{aid}/attempts", headers=users["teach"]).json()["attempts"]
    assert [a["run_id"] for a in listed] == [first["run_id"], waiting["run_id"], new["run_id"]]
    assert listed[0]["passed"] is True


def by_run(client, users, aid) -> dict:
    """Ann's attempts as the API lists them, by run id."""
    listed = client.get(f"/api/assignments/{aid}/attempts", headers=users["ann"]).json()["attempts"]
    return {a["run_id"]: a for a in listed}


def test_a_new_goal_binds_new_attempts_and_running_ones_keep_theirs(client, users, sessions, course):
    _, aid = course
    done = attempt(client, users, aid)
    finish(sessions, done["run_id"], task=0.6)  # passes "task >= 0.5"; not yet judged (nobody looked)
    running = attempt(client, users, aid)
    with sessions() as session:
        assert runs.claim(session, run_id=running["run_id"], worker="test:1")  # running when the goal changes
    assert running["goal"] == "task >= 0.5"

    stricter = {**BODY, "goal": "task >= 0.9"}
    changed = client.put(f"/api/assignments/{aid}", json=stricter, headers=users["teach"])
    assert changed.status_code == 200, changed.text
    assert changed.json()["goal"] == "task >= 0.9"
    finish(sessions, running["run_id"], task=0.6)  # ends after the change: judged by the goal it was made under
    listed = by_run(client, users, aid)
    for made in (done, running):
        judged = listed[made["run_id"]]
        assert judged["passed"] is True and "0.5" in judged["reason"] and judged["goal"] == "task >= 0.5"

    # The pages show the older goal beside its verdict (escaped, as all text), for the student and the instructor.
    page = client.get(f"/assignments/{aid}", headers=users["ann"]).text
    assert page.count("judged by: <code>task &gt;= 0.5</code>") == 2 and "<code>task >= 0.5" not in page
    dash = client.get(f"/assignments/{aid}/dashboard", headers=users["teach"]).text
    assert "judged by: <code>task &gt;= 0.5</code>" in dash

    later = attempt(client, users, aid)
    assert later["goal"] == "task >= 0.9"
    finish(sessions, later["run_id"], task=0.6)
    listed = by_run(client, users, aid)
    assert listed[later["run_id"]]["passed"] is False and "0.9" in listed[later["run_id"]]["reason"]  # the new goal
    assert listed[done["run_id"]]["passed"] is True  # stored verdicts stay
    dash = client.get(f"/assignments/{aid}/dashboard", headers=users["teach"]).text
    assert "judged by" not in dash  # her last attempt was made under the current goal


def test_only_the_classs_instructor_may_edit_or_delete(client, users, course):
    room, aid = course
    for name, code in (("ann", 403), ("other", 404)):
        assert client.put(f"/api/assignments/{aid}", json=BODY, headers=users[name]).status_code == code
        assert client.delete(f"/api/assignments/{aid}", headers=users[name]).status_code == code
        assert client.patch(f"/api/classes/{room['id']}", json={"name": "x"}, headers=users[name]).status_code == code
        assert client.delete(f"/api/classes/{room['id']}", headers=users[name]).status_code == code
        assert client.post(f"/assignments/{aid}/delete", headers=users[name]).status_code == code
        assert client.post(f"/classes/{room['id']}/delete", headers=users[name]).status_code == code
    assert client.get(f"/api/assignments/{aid}", headers=users["teach"]).json()["title"] == "Keep it"


def test_deleting_an_assignment_cancels_its_queued_runs_and_keeps_them(client, users, sessions, course):
    room, aid = course
    ended, queued = attempt(client, users, aid), attempt(client, users, aid)
    finish(sessions, ended["run_id"])
    deleted = client.delete(f"/api/assignments/{aid}", headers=users["teach"])
    assert deleted.json() == {"deleted": aid, "cancelled": 1}
    assert client.get(f"/api/assignments/{aid}", headers=users["teach"]).status_code == 404
    assert client.get(f"/api/classes/{room['id']}", headers=users["teach"]).json()["assignments"] == []
    assert client.get(f"/api/runs/{queued['run_id']}", headers=users["ann"]).json()["status"] == "cancelled"
    assert client.get(f"/api/runs/{ended['run_id']}", headers=users["ann"]).json()["status"] == "succeeded"


def test_renaming_and_deleting_a_class(client, users, sessions, course):
    room, aid = course
    run_id = attempt(client, users, aid)["run_id"]
    renamed = client.patch(f"/api/classes/{room['id']}", json={"name": "  Forgetting 102 "}, headers=users["teach"])
    assert renamed.json()["name"] == "Forgetting 102" and renamed.json()["join_code"] == room["join_code"]
    bad = client.post(f"/classes/{room['id']}/edit", data={"name": " "}, headers=users["teach"])
    assert bad.status_code == 422 and "1 to 200 characters" in bad.text

    gone = client.post(f"/classes/{room['id']}/delete", headers=users["teach"], follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == "/classes"
    assert client.get(f"/api/classes/{room['id']}", headers=users["teach"]).status_code == 404
    assert client.get(f"/api/assignments/{aid}", headers=users["ann"]).status_code == 404
    assert client.get("/api/classes", headers=users["ann"]).json()["joined"] == []
    assert client.get(f"/api/runs/{run_id}", headers=users["ann"]).json()["status"] == "cancelled"  # still hers


def test_the_edit_page_shows_the_assignment_and_saving_it_unchanged_changes_nothing(client, users, course):
    _, aid = course
    before = client.get(f"/api/assignments/{aid}", headers=users["teach"]).json()
    page = client.get(f"/assignments/{aid}/edit", headers=users["teach"])
    assert page.status_code == 200 and "Save changes" in page.text and f'action="/assignments/{aid}/edit"' in page.text
    assert "lr=0.001" in page.text and 'value="lr"' in page.text
    form = {"title": "Keep it", "goal": "task >= 0.5", "settings": "task_examples=64\nepochs=1\nlr=0.001",
            "locked": "lr", "attempt_budget": "5", "score": "mean(retention)", "order": "higher"}
    saved = client.post(f"/assignments/{aid}/edit", data=form, headers=users["teach"], follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"/assignments/{aid}"
    assert client.get(f"/api/assignments/{aid}", headers=users["teach"]).json() == before
    bad = client.post(f"/assignments/{aid}/edit", data={**form, "goal": "tsak >= 1"}, headers=users["teach"])
    assert bad.status_code == 422 and "did you mean task" in bad.text


def test_the_edit_form_round_trips_any_template(client, users, course):
    """A preset's fields, hidden and locked ones, number and choice ranges, budgets, a due date: the edit form's
    values, saved unchanged, give back the same assignment."""
    room, _ = course
    body = {"title": "Full", "preset": "break-it", "settings": {"epochs": 2}, "locked": ["lr"], "hidden": ["seed"],
            "ranges": {"epochs": {"min": 1, "max": 3}, "method": {"choices": ["full", "lora"]}},
            "goal": "task >= 0.9 and all(drop) <= 0.10", "score": "mean(retention)", "higher_is_better": False,
            "qualify": "task >= 0.5", "attempt_budget": 3, "run_budget": 40, "due_at": "2031-05-01T12:30:00",
            "show_names": True}
    aid = client.post(f"/api/classes/{room['id']}/assignments", json=body, headers=users["teach"]).json()["id"]
    before = client.get(f"/api/assignments/{aid}", headers=users["teach"]).json()
    from forgetlab.app.pages.assignment_form import form_values
    from forgetlab.core.store import classes

    with client.app.state.sessions() as session:
        values = form_values(classes.get_assignment(session, assignment_id=aid))
    saved = client.post(f"/assignments/{aid}/edit", data=values, headers=users["teach"], follow_redirects=False)
    assert saved.status_code == 303, saved.text
    assert client.get(f"/api/assignments/{aid}", headers=users["teach"]).json() == before
