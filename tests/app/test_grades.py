"""Grades: points per goal clause, the late policy (hard deadline, penalty per day, none) with per-student
extensions, instructor feedback (Markdown, escaped), and the gradebook CSV's LMS columns."""

import csv
import io
from datetime import timedelta

import pytest

from forgetlab.core.store import accounts, classes
from forgetlab.core.store.models import utcnow

from .conftest import finish

SMALL = {"task_examples": 64, "epochs": 1}
POINTS = {"task >= 0.9": 60, "all(drop) <= 0.10": 40}
LMS = ["username", "name", "email", "score", "max_score", "late", "submitted_at", "grade", "passed", "attempts",
       "best_score", "best_run"]


@pytest.fixture
def users(sessions):
    out = {}
    with sessions() as session:
        for name, role in (("teach", "instructor"), ("ann", "student"), ("bob", "student")):
            user = accounts.create_user(session, name=name, password=None, role=role)
            out[name] = {"Authorization": f"Bearer {accounts.create_token(session, user=user, name='t')[1]}"}
        classes.set_profile(session, user_id=accounts.user_by_name(session, "ann").id, full_name="Ann Lee",
                            email="ann@example.edu")
    return out


@pytest.fixture
def room(client, users):
    room = client.post("/api/classes", json={"name": "Grades 101"}, headers=users["teach"]).json()
    for student in ("ann", "bob"):
        client.post("/api/classes/join", json={"code": room["join_code"]}, headers=users[student])
    return room


def assignment(client, users, room, **extra) -> int:
    made = client.post(f"/api/classes/{room['id']}/assignments", headers=users["teach"],
                       json={"title": "Graded", "settings": SMALL, "goal": "task >= 0.9 and all(drop) <= 0.10",
                             **extra})
    assert made.status_code == 201, made.text
    return made.json()["id"]


def attempt(client, users, aid, who):
    made = client.post(f"/api/assignments/{aid}/attempts", json={}, headers=users[who])
    assert made.status_code == 201, made.text
    return made.json()


def gradebook(client, users, aid) -> list[dict]:
    text = client.get(f"/api/assignments/{aid}/grades.csv", headers=users["teach"]).text
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == LMS
    return list(reader)


def test_points_per_clause_give_partial_credit(client, users, sessions, room):
    aid = assignment(client, users, room, points=POINTS)
    finish(sessions, attempt(client, users, aid, "ann")["run_id"], drop=0.2, task=1.0)  # the task clause only
    finish(sessions, attempt(client, users, aid, "bob")["run_id"], drop=0.05, task=1.0)  # both
    rows = {r["username"]: r for r in gradebook(client, users, aid)}
    assert (rows["ann"]["name"], rows["ann"]["email"], rows["ann"]["score"], rows["ann"]["max_score"],
            rows["ann"]["grade"], rows["ann"]["passed"], rows["ann"]["late"]) == (
        "Ann Lee", "ann@example.edu", "60", "100", "60", "no", "no")
    assert (rows["bob"]["name"], rows["bob"]["email"], rows["bob"]["score"], rows["bob"]["grade"]) == ("", "", "100",
                                                                                                       "100")
    assert rows["ann"]["submitted_at"].endswith("Z") and rows["ann"]["submitted_at"][:4] == str(utcnow().year)
    listed = client.get(f"/api/assignments/{aid}/attempts", headers=users["ann"]).json()["attempts"]
    assert (listed[0]["score"], listed[0]["max_score"], listed[0]["late"]) == (60, 100, False)


def test_a_penalty_per_day_late_and_an_extension(client, users, sessions, room):
    due = (utcnow() - timedelta(hours=36)).replace(microsecond=0)  # 1.5 days ago: 2 days late
    aid = assignment(client, users, room, points=POINTS, due_at=due.isoformat(), late_policy="penalty",
                     late_penalty=10)
    late = attempt(client, users, aid, "ann")  # accepted, late
    extended = client.post(f"/api/assignments/{aid}/extensions", headers=users["teach"],
                           json={"student": "bob", "due_at": (utcnow() + timedelta(days=1)).isoformat()})
    assert extended.status_code == 200
    on_time = attempt(client, users, aid, "bob")
    for made in (late, on_time):
        finish(sessions, made["run_id"], drop=0.05, task=1.0)
    rows = {r["username"]: r for r in gradebook(client, users, aid)}
    assert (rows["ann"]["score"], rows["ann"]["late"], rows["ann"]["grade"]) == ("80", "yes", "80")
    assert (rows["bob"]["score"], rows["bob"]["late"]) == ("100", "no")
    board = client.get(f"/assignments/{aid}/dashboard", headers=users["teach"]).text
    assert "10.0% off per day late" in board and "late 2d" in board
    page = client.get(f"/assignments/{aid}", headers=users["ann"]).text
    assert "late 2 days" in page and "score 80" in page
    assert "(your extension)" in client.get(f"/assignments/{aid}", headers=users["bob"]).text
    assert client.post(f"/api/assignments/{aid}/extensions", headers=users["teach"],
                       json={"student": "nobody"}).json()["errors"][0]["field"] == "student"
    # a due date with a zone is kept as UTC, like every time here (no 500 comparing it with naive times)
    zoned = client.post(f"/api/assignments/{aid}/extensions", headers=users["teach"],
                        json={"student": "bob", "due_at": "2030-01-01T05:00:00+05:00"})
    assert zoned.status_code == 200
    assert "(due 2030-01-01 00:00)" in client.get(f"/assignments/{aid}/dashboard", headers=users["teach"]).text


def test_a_hard_deadline_refuses_but_an_extension_opens_it_and_none_only_flags(client, users, sessions, room):
    past = (utcnow() - timedelta(hours=2)).isoformat()
    hard = assignment(client, users, room, due_at=past)  # "hard" is the default, as before grades existed
    refused = client.post(f"/api/assignments/{hard}/attempts", json={}, headers=users["ann"])
    assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "due_at"
    assert "No more attempts" in client.get(f"/assignments/{hard}", headers=users["ann"]).text
    client.post(f"/api/assignments/{hard}/extensions", headers=users["teach"],
                json={"student": "ann", "due_at": (utcnow() + timedelta(hours=2)).isoformat()})
    attempt(client, users, hard, "ann")

    flagged = assignment(client, users, room, due_at=past, late_policy="none")
    finish(sessions, attempt(client, users, flagged, "bob")["run_id"], drop=0.05, task=1.0)
    rows = {r["username"]: r for r in gradebook(client, users, flagged)}
    assert (rows["bob"]["score"], rows["bob"]["late"]) == ("100", "yes")


def test_feedback_is_markdown_shown_escaped_and_only_the_instructor_writes_it(client, users, room):
    aid = assignment(client, users, room)
    made = attempt(client, users, aid, "ann")
    url = f"/api/assignments/{aid}/attempts/{made['id']}/feedback"
    text = "Good **retention**. <script>alert(1)</script>"
    assert client.post(url, json={"feedback": text}, headers=users["ann"]).status_code == 403
    saved = client.post(url, json={"feedback": text}, headers=users["teach"])
    assert saved.status_code == 200 and saved.json()["feedback"] == text
    page = client.get(f"/assignments/{aid}", headers=users["ann"]).text
    assert "<strong>retention</strong>" in page and "<script>alert(1)" not in page
    form = client.post(f"/assignments/{aid}/attempts/{made['id']}/feedback", data={"feedback": ""},
                       headers=users["teach"], follow_redirects=False)
    assert form.status_code == 303
    assert client.get(f"/api/assignments/{aid}/attempts", headers=users["ann"]).json()["attempts"][0]["feedback"] is None


def test_bad_grading_rules_name_the_field(client, users, room):
    for extra, field in (({"points": {"tsak >= 1": 10}}, "points"), ({"points": {"task >= 0.9": -1}}, "points"),
                         ({"late_policy": "penalty"}, "late_penalty")):
        made = client.post(f"/api/classes/{room['id']}/assignments", headers=users["teach"],
                           json={"title": "t", "settings": SMALL, "goal": "task >= 0.5", **extra})
        assert made.status_code == 422 and field in {e["field"] for e in made.json()["errors"]}, made.text
    form = client.post(f"/classes/{room['id']}/assignments", headers=users["teach"],
                       data={"title": "t", "goal": "task >= 0.5", "points": "task >= 0.9 sixty"})
    assert form.status_code == 422 and "write clause: points" in form.text
    made = client.post(f"/classes/{room['id']}/assignments", headers=users["teach"], follow_redirects=False,
                       data={"title": "t", "goal": "task >= 0.5", "points": "task >= 0.9: 60\nall(drop) <= 0.1: 40",
                             "late_policy": "penalty", "late_penalty": "5"})
    assert made.status_code == 303
    aid = made.headers["location"].rsplit("/", 1)[1]
    edit = client.get(f"/assignments/{aid}/edit", headers=users["teach"]).text
    assert "task &gt;= 0.9: 60\nall(drop) &lt;= 0.1: 40" in edit and 'value="5"' in edit
