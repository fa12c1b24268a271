"""Classes, assignments, attempts, leaderboards, quotas and lessons through the real app and database.

Users sign in with API tokens (core/store/accounts.py); runs stay queued (no workers) until a test
plays them through with `finish` (tests/app/conftest.py), as the worker would.
"""

import csv
import io
import re

import pytest

from forgetlab.core.presets import PRESETS
from forgetlab.core.store import accounts

from .conftest import finish

SHORT = {**PRESETS["break-it"].overrides, "epochs": 1, "task_examples": 64}
GOAL = "task >= 0.9 and all(drop) <= 0.10"
LR = f"{SHORT['lr']:g}"  # break-it's rate, as a form shows it


@pytest.fixture
def users(sessions):
    """name -> Authorization headers, for an instructor, two students, a guest and an outside instructor."""
    out = {}
    with sessions() as session:
        for name, role in (("teach", "instructor"), ("ann", "student"), ("bob", "student"), ("gus", "guest"),
                           ("other", "instructor")):
            user = accounts.create_user(session, name=name, password=None, role=role)
            _, token = accounts.create_token(session, user=user, name="test")
            out[name] = {"Authorization": f"Bearer {token}"}
    return out


@pytest.fixture
def course(client, users):
    """A class with both students in it and an assignment with a locked learning rate and a goal."""
    room = client.post("/api/classes", json={"name": "Forgetting 101"}, headers=users["teach"]).json()
    for student in ("ann", "bob"):
        assert client.post("/api/classes/join", json={"code": room["join_code"].lower()},
                           headers=users[student]).status_code == 200
    made = client.post(f"/api/classes/{room['id']}/assignments", headers=users["teach"], json={
        "title": "Fix it", "instructions": "Keep **everything**. <script>alert(1)</script>", "preset": "break-it",
        "settings": {"epochs": 1, "task_examples": 64}, "locked": ["lr"], "hidden": ["seed"],
        "ranges": {"epochs": {"min": 1, "max": 2}}, "goal": GOAL, "qualify": "task >= 0.9", "attempt_budget": 2})
    assert made.status_code == 201, made.text
    return room, made.json()["id"]


def test_instructor_creates_a_class_with_a_join_code_and_link(client, users, course):
    room, _ = course
    assert len(room["join_code"]) == 8 and room["join_url"].endswith(f"/join/{room['join_code']}")
    seen = client.get(f"/api/classes/{room['id']}", headers=users["teach"]).json()
    assert seen["roster"] == ["ann", "bob"] and seen["assignments"][0]["title"] == "Fix it"
    assert "roster" not in client.get(f"/api/classes/{room['id']}", headers=users["ann"]).json()
    assert client.get(f"/api/classes/{room['id']}", headers=users["other"]).status_code == 404
    assert client.post("/api/classes", json={"name": "x"}, headers=users["ann"]).status_code == 403
    bad = client.post("/api/classes/join", json={"code": "NOPE1234"}, headers=users["bob"])
    assert bad.status_code == 404 and bad.json()["errors"][0]["field"] == "code"


def test_students_see_the_template_without_hidden_fields(client, users, course):
    _, aid = course
    mine = client.get(f"/api/assignments/{aid}", headers=users["ann"]).json()
    assert "seed" not in mine["scenario"] and "hidden" not in mine
    assert mine["locked"] == ["tier", "lr"] and mine["ranges"] == {"epochs": {"min": 1.0, "max": 2.0}}
    assert client.get(f"/api/assignments/{aid}", headers=users["teach"]).json()["hidden"] == ["seed"]
    page = client.get(f"/assignments/{aid}", headers=users["ann"])
    assert page.status_code == 200
    assert 'name="seed"' not in page.text  # hidden: not in the form at all
    assert f'id="f-lr" name="lr" value="{LR}"' in page.text and "readonly" in page.text
    assert "<strong>everything</strong>" in page.text and "<script>alert(1)" not in page.text


def test_a_changed_locked_field_is_refused_server_side_naming_it(client, users, course):
    _, aid = course
    refused = client.post(f"/api/assignments/{aid}/attempts", json={"lr": 0.01}, headers=users["ann"])
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "lr",
                                         "reason": f"locked by the assignment at {LR}: students cannot change it"}]
    for body, field in (({"seed": 3}, "seed"), ({"epochs": 5}, "epochs")):
        response = client.post(f"/api/assignments/{aid}/attempts", json=body, headers=users["ann"])
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == field
    page = client.post(f"/assignments/{aid}/attempts", data={"lr": "0.05", "epochs": "1"}, headers=users["ann"])
    assert page.status_code == 422 and f"locked by the assignment at {LR}" in page.text


def test_the_assignment_form_fields_are_the_builders(client, users, course):
    """One field macro (templates/fields.html): number inputs within the assignment's range, each naming its
    help and error and saying whether it is wrong, as on the builder."""
    _, aid = course
    page = client.get(f"/assignments/{aid}", headers=users["ann"]).text
    assert re.search(r'<input type="number" id="f-epochs" name="epochs" value="1" step="1"[^>]*min="1.0" max="2.0"'
                     r'[^>]*aria-describedby="help-epochs err-epochs" aria-invalid="false"', page)
    assert 'id="help-epochs">' in page and "this assignment allows 1 to 2" in page
    assert re.search(r'<select id="f-method" name="method" aria-describedby="help-method err-method" '
                     r'aria-invalid="false"', page)
    assert re.search(rf'id="f-lr" name="lr" value="{LR}"[^>]*readonly aria-readonly="true"', page)
    refused = client.post(f"/assignments/{aid}/attempts", data={"lr": "0.05", "epochs": "1"}, headers=users["ann"]).text
    assert re.search(r'id="f-lr"[^>]*aria-describedby="help-lr err-lr" aria-invalid="true"', refused)
    assert re.search(r'id="f-epochs"[^>]*aria-invalid="false"', refused)
    builder = client.get("/").text
    assert re.search(r'<input type="number" id="f-epochs" name="epochs" value="3" step="1"[^>]*min="1" max="20"'
                     r'[^>]*aria-describedby="help-epochs err-epochs" aria-invalid="false"', builder)


def test_attempts_are_checked_against_the_goal_and_ranked(client, users, sessions, course):
    _, aid = course
    runs = {}
    for student, drop, task in (("ann", 0.05, 1.0), ("bob", 0.3, 1.0), ("ann", 0.02, 1.0)):
        made = client.post(f"/api/assignments/{aid}/attempts", json={"mix_ratio": 0.2}, headers=users[student])
        assert made.status_code == 201, made.text
        runs.setdefault(student, []).append(made.json()["run_id"])
        finish(sessions, made.json()["run_id"], drop=drop, task=task)
    listed = client.get(f"/api/assignments/{aid}/attempts", headers=users["bob"]).json()["attempts"]
    assert [(a["passed"], a["reason"]) for a in listed] == [
        (False, ("drop(instruction) 0.3, drop(knowledge) 0.3, drop(reasoning) 0.3, drop(format) 0.3, "
                 "drop(safety) 0.3 are not <= 0.10"))]
    assert len(client.get(f"/api/assignments/{aid}/attempts", headers=users["teach"]).json()["attempts"]) == 3

    board = client.get(f"/api/assignments/{aid}/leaderboard", headers=users["teach"]).json()["rows"]
    assert [(r["rank"], r["student"], round(r["score"], 6)) for r in board] == [(1, "ann", 0.98), (2, "bob", 0.7)]
    hidden = client.get(f"/api/assignments/{aid}/leaderboard", headers=users["bob"]).json()["rows"]
    assert [r["student"] for r in hidden] == ["student 1", "bob"]  # names hidden by default

    grades = client.get(f"/api/assignments/{aid}/grades.csv", headers=users["teach"])
    assert grades.status_code == 200 and grades.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(grades.text)))
    assert [(r["username"], r["grade"], r["attempts"], r["best_run"]) for r in rows] == [
        ("ann", "100", "2", str(runs["ann"][1])), ("bob", "0", "1", str(runs["bob"][0]))]
    assert client.get(f"/api/assignments/{aid}/grades.csv", headers=users["ann"]).status_code == 403

    dash = client.get(f"/assignments/{aid}/dashboard", headers=users["teach"])
    assert dash.status_code == 200 and f"/compare?runs={runs['ann'][1]},{runs['bob'][0]}" in dash.text
    # the attempt budget (2) is spent for ann: 429 with Retry-After
    over = client.post(f"/api/assignments/{aid}/attempts", json={}, headers=users["ann"])
    assert over.status_code == 429 and int(over.headers["Retry-After"]) > 0
    assert over.json()["errors"][0]["field"] == "attempt_budget"
    page = client.post(f"/assignments/{aid}/attempts", data={}, headers=users["ann"])
    assert page.status_code == 429 and "used all 2 attempts" in page.text


def test_instructors_see_their_students_runs_and_nobody_else_does(client, users, course):
    _, aid = course
    run_id = client.post(f"/api/assignments/{aid}/attempts", json={}, headers=users["ann"]).json()["run_id"]
    assert client.get(f"/api/runs/{run_id}", headers=users["teach"]).status_code == 200
    assert client.get(f"/api/runs/{run_id}", headers=users["other"]).status_code == 404
    assert client.get(f"/api/runs/{run_id}", headers=users["bob"]).status_code == 404
    assert client.get(f"/api/assignments/{aid}", headers=users["other"]).status_code == 404
    assert client.post(f"/api/assignments/{aid}/attempts", json={}, headers=users["gus"]).status_code == 403


def test_per_user_quota_and_cancel_all_queued(client, users, settings, course):
    room, aid = course
    client.app.state.settings.max_active_runs = 1
    first = client.post(f"/api/assignments/{aid}/attempts", json={}, headers=users["bob"])
    assert first.status_code == 201
    over = client.post("/api/runs", json=SHORT, headers=users["bob"])
    assert over.status_code == 429 and over.headers["Retry-After"] == "30"
    assert "limit of 1" in over.json()["detail"]
    assert client.post("/api/runs", json=SHORT, headers=users["teach"]).status_code == 201  # instructors: no quota

    assert client.post(f"/api/classes/{room['id']}/cancel-queued", headers=users["bob"]).status_code == 403
    cancelled = client.post(f"/api/classes/{room['id']}/cancel-queued", headers=users["teach"]).json()
    assert cancelled == {"cancelled": 1}
    assert client.get(f"/api/runs/{first.json()['run_id']}", headers=users["bob"]).json()["status"] == "cancelled"
    assert client.post("/api/runs", json=SHORT, headers=users["bob"]).status_code == 201  # the slot is free again


def test_run_budget_and_due_date(client, users, course):
    room, _ = course
    made = client.post(f"/api/classes/{room['id']}/assignments", headers=users["teach"], json={
        "title": "Once", "settings": SHORT, "goal": "task >= 0.5", "run_budget": 1}).json()
    assert client.post(f"/api/assignments/{made['id']}/attempts", json={}, headers=users["ann"]).status_code == 201
    spent = client.post(f"/api/assignments/{made['id']}/attempts", json={}, headers=users["bob"])
    assert spent.status_code == 429 and spent.json()["errors"][0]["field"] == "run_budget"
    late = client.post(f"/api/classes/{room['id']}/assignments", headers=users["teach"], json={
        "title": "Late", "settings": SHORT, "goal": "task >= 0.5", "due_at": "2020-01-01T00:00:00"}).json()
    assert client.post(f"/api/assignments/{late['id']}/attempts", json={}, headers=users["ann"]).status_code == 403


def test_bad_assignments_name_every_bad_part(client, users, course):
    room, _ = course
    response = client.post(f"/api/classes/{room['id']}/assignments", headers=users["teach"], json={
        "title": "Bad", "settings": {"epochs": 99}, "locked": ["lrr"], "goal": "task >= 0.9 and",
        "score": "all(drop)"})
    assert response.status_code == 422
    fields = {e["field"]: e["reason"] for e in response.json()["errors"]}
    assert set(fields) == {"settings: epochs", "goal", "score"}
    assert "expected a number or a measure, found the end (at column 16)" == fields["goal"]
    form = client.post(f"/classes/{room['id']}/assignments", headers=users["teach"],
                       data={"title": "t", "goal": "tsak > 1", "ranges": "epochs"})
    assert form.status_code == 422 and "did you mean task?" not in form.text  # ranges fail first, then goal
    assert "write field=min..max or field=a,b" in form.text


def test_pages_join_by_code_and_lessons(client, users, course):
    room, aid = course
    page = client.get(f"/join/{room['join_code']}", headers=users["gus"])
    assert page.status_code == 200 and "Forgetting 101" in page.text
    assert client.get("/join/ZZZZZZZZ", headers=users["gus"]).status_code == 404
    joined = client.post("/join", data={"code": room["join_code"]}, headers=users["bob"], follow_redirects=False)
    assert joined.status_code == 303 and joined.headers["location"] == f"/classes/{room['id']}"
    assert client.post("/join", data={"code": "x"}, headers=users["bob"]).status_code == 422
    dashboard = client.get(f"/classes/{room['id']}", headers=users["teach"]).text
    assert room["join_code"] in dashboard and "ann" in dashboard and "Cancel all queued runs" in dashboard

    lesson = client.post(f"/api/classes/{room['id']}/lessons/starter", headers=users["teach"])
    assert lesson.status_code == 201
    steps = client.get(f"/api/lessons/{lesson.json()['id']}", headers=users["ann"]).json()["steps"]
    assert [s["title"] for s in steps] == ["Break it", "Fix it within budget", "Safety regression", "Keep it safe"]
    assert client.get(f"/api/lessons/{lesson.json()['id']}", headers=users["other"]).status_code == 404
    own = client.post(f"/api/classes/{room['id']}/lessons", headers=users["teach"],
                      json={"title": "Mine", "assignment_ids": [aid], "published": False}).json()
    assert client.get(f"/api/lessons/{own['id']}", headers=users["ann"]).status_code == 404  # a draft
    assert client.get(f"/lessons/{own['id']}", headers=users["teach"]).status_code == 200
    strangers = client.post(f"/api/classes/{room['id']}/lessons", headers=users["teach"],
                            json={"title": "x", "assignment_ids": [9999]})
    assert strangers.status_code == 422 and strangers.json()["errors"][0]["field"] == "assignment_ids"
    assert "Break it, then fix it within budget" in client.get("/lessons", headers=users["gus"]).text
