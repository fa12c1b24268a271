"""An uploaded dataset is its owner's (and, when an instructor sets it as an assignment's task, that class's):
another user sees only its name on a shared run, cannot train on it, learns nothing of it from the builder, and
no error shows them its lines."""

import html
import json

import pytest
from fastapi.testclient import TestClient

from forgetlab.core.settings import Settings
from forgetlab.core.store.db import migrate, session_factory
from forgetlab.core.tiers.synthetic import world
from tests.accounts import bearer, make_user

from .conftest import finish

TINY = {"task_examples": 50, "epochs": 1, "eval_every": 2}
# Pairs in the synthetic world's words (runs of its tier can train on them); one line stands for the secret.
PAIRS = list(dict(world.examples("shift", 80, 1)).items())[:40]
SECRET = PAIRS[7][0]


def jsonl(n=40) -> bytes:
    return "\n".join(json.dumps({"prompt": p, "response": r}) for p, r in PAIRS[:n]).encode()


@pytest.fixture
def lab(tmp_path):
    """(client, sessions, {name: auth headers}) of a public lab: ada and bob (students), teach (instructor)."""
    from forgetlab.app.main import create_app

    settings = Settings(data_dir=tmp_path, workers=0, database_url=None, redis_url=None, public=True,
                        rate_limit=0, read_rate_limit=0)
    migrate(settings.sqlalchemy_url)
    sessions = session_factory(settings.sqlalchemy_url)
    users = {name: bearer(sessions, make_user(sessions, name, role=role))
             for name, role in (("ada", "student"), ("bob", "student"), ("teach", "instructor"))}
    with TestClient(create_app(settings)) as client:
        yield client, sessions, users


def upload(client, auth, name="secret plans") -> str:
    r = client.post("/api/datasets", files={"file": ("d.jsonl", jsonl())}, data={"name": name}, headers=auth)
    assert r.status_code == 201, r.text
    return r.json()["task"]


def test_another_user_sees_only_the_name_on_a_shared_run_and_cannot_train_on_it(lab):
    client, sessions, users = lab
    task = upload(client, users["ada"])
    run_id = client.post("/api/runs", json={**TINY, "task": task}, headers=users["ada"]).json()["id"]
    finish(sessions, run_id)
    assert client.post(f"/api/runs/{run_id}/share", json={"shared": True}, headers=users["ada"]).status_code == 200

    page = client.get(f"/runs/{run_id}", headers=users["bob"])
    assert page.status_code == 200 and "secret plans" in page.text and SECRET not in page.text
    assert client.get(f"/api/datasets/{task.removeprefix('data:')}", headers=users["bob"]).status_code == 404
    unknown = client.post("/api/runs", json={**TINY, "task": "data:0123456789abcdef"}, headers=users["bob"])
    for body in ({**TINY, "task": task}, {**TINY, "task": task, "seed": 3}):
        refused = client.post("/api/runs", json=body, headers=users["bob"])
        assert refused.status_code == unknown.status_code == 422  # as for an id that names no dataset
        assert refused.json()["errors"][0]["field"] == "task" and "that you may use" in refused.json()["errors"][0]["reason"]
    sweep = client.post("/api/sweeps", json={"base": {**TINY, "task": task}, "grid": {"seed": [0, 1]}},
                        headers=users["bob"])
    assert sweep.status_code == 422 and sweep.json()["errors"][0]["field"] == "base: task"  # the base named it
    form = client.post("/runs", data={**{k: str(v) for k, v in TINY.items()}, "task": task}, headers=users["bob"],
                       follow_redirects=False)
    assert form.status_code == 422 and "that you may use" in form.text
    # The owner trains on it as before.
    assert client.post("/api/runs", json={**TINY, "task": task, "seed": 3}, headers=users["ada"]).status_code == 201


def test_a_shared_runs_samples_show_its_datasets_probe_only_to_who_may_use_it(lab):
    """A sample shows a probe whole: the dataset task's stays with its owner, the world's are everyone's."""
    from forgetlab.core.store import runs

    client, sessions, users = lab
    task = upload(client, users["ada"])
    run_id = client.post("/api/runs", json={**TINY, "task": task}, headers=users["ada"]).json()["id"]
    finish(sessions, run_id)
    shown = [{"capability": task, "prompt": SECRET, "expected": PAIRS[7][1], "base": "", "output": "",
              "correct": False},
             {"capability": "knowledge", "prompt": "capital of france ?", "expected": "paris", "base": "paris",
              "output": "paris", "correct": True}]
    with sessions() as session:
        runs.write_samples(session, run_id=run_id, step=10, samples=shown)
    assert client.post(f"/api/runs/{run_id}/share", json={"shared": True}, headers=users["ada"]).status_code == 200
    for who, sees in (("ada", True), ("bob", False)):
        listed = client.get(f"/api/runs/{run_id}/samples", headers=users[who]).json()["samples"]
        assert [s["capability"] for s in listed] == ([task] if sees else []) + ["knowledge"], who
        page = client.get(f"/runs/{run_id}", headers=users[who]).text
        assert (html.escape(SECRET) in page) is sees and "capital of france ?" in page, who


def test_the_builder_shows_nothing_of_another_users_dataset(lab):
    client, _, users = lab
    task = upload(client, users["ada"])
    mine = client.get(f"/?task={task}", headers=users["ada"])
    assert "secret plans" in mine.text and "Run it" in mine.text
    theirs = client.get(f"/?task={task}", headers=users["bob"])
    assert theirs.status_code == 200 and "secret plans" not in theirs.text
    unknown = client.get("/?task=data:0123456789abcdef", headers=users["bob"])
    def blank(text, dataset_task):
        return text.replace(dataset_task, "X").replace(dataset_task.replace(":", "%3A"), "X")

    assert blank(theirs.text, task) == blank(unknown.text, "data:0123456789abcdef")  # exactly as an unknown id


def test_an_instructors_dataset_in_an_assignment_is_the_classs_to_train_on(lab):
    client, _, users = lab
    task = upload(client, users["teach"], name="class data")
    room = client.post("/api/classes", json={"name": "c"}, headers=users["teach"]).json()
    assert client.post("/api/classes/join", json={"code": room["join_code"]}, headers=users["ada"]).status_code == 200
    made = client.post(f"/api/classes/{room['id']}/assignments", headers=users["teach"], json={
        "title": "Own data", "settings": {**TINY, "task": task}, "locked": ["task"], "goal": "task >= 0"})
    assert made.status_code == 201, made.text
    attempt = client.post(f"/api/assignments/{made.json()['id']}/attempts", json={}, headers=users["ada"])
    assert attempt.status_code == 201, attempt.text
    # Outside the assignment it stays the instructor's.
    assert client.post("/api/runs", json={**TINY, "task": task}, headers=users["ada"]).status_code == 422
    assert client.get(f"/?task={task}", headers=users["ada"]).text.count("class data") == 0


def test_the_runs_list_and_the_api_name_a_dataset_task_by_its_name(lab):
    client, _, users = lab
    task = upload(client, users["ada"])
    run_id = client.post("/api/runs", json={**TINY, "task": task}, headers=users["ada"]).json()["id"]
    listed = client.get("/runs", headers=users["ada"]).text
    assert "secret plans&#34; (your data)" in listed and task not in listed
    assert client.get("/api/runs", headers=users["ada"]).json()["runs"][0]["task_name"] == "secret plans"
    assert client.get(f"/api/runs/{run_id}", headers=users["ada"]).json()["task_name"] == "secret plans"


def test_two_users_who_upload_the_same_pairs_each_own_a_dataset(lab):
    """The pairs are stored once, but each uploader's dataset is their own: both train on it, each lists and
    reads only theirs (under the name they gave it), and a third user finds it as unknown."""
    client, _, users = lab
    task = upload(client, users["ada"], name="ada pairs")
    assert upload(client, users["bob"], name="bob pairs") == task  # 201 for bob too: new to him
    for name in ("ada", "bob"):
        assert client.post("/api/runs", json={**TINY, "task": task}, headers=users[name]).status_code == 201
        sweep = client.post("/api/sweeps", json={"base": {**TINY, "task": task}, "grid": {"seed": [5, 6]}},
                            headers=users[name])
        assert sweep.status_code == 201, sweep.text
        listed = client.get("/api/datasets", headers=users[name]).json()
        assert [(d["task"], d["name"]) for d in listed] == [(task, f"{name} pairs")]
        assert client.get(f"/api/datasets/{task.removeprefix('data:')}", headers=users[name]).json()["name"] == \
            f"{name} pairs"
        assert f"{name} pairs" in client.get(f"/?task={task}", headers=users[name]).text
        assert client.get("/api/runs", headers=users[name]).json()["runs"][0]["task_name"] == f"{name} pairs"
    assert client.get("/api/datasets", headers=users["teach"]).json() == []  # no class links teach to them
    assert client.get(f"/api/datasets/{task.removeprefix('data:')}", headers=users["teach"]).status_code == 404
    refused = client.post("/api/runs", json={**TINY, "task": task}, headers=users["teach"])
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "task"


def test_a_run_on_the_same_pairs_is_named_by_its_own_owners_upload(lab):
    """A shared run shows others the name its owner gave the data, never another uploader's."""
    client, sessions, users = lab
    task = upload(client, users["ada"], name="ada pairs")
    upload(client, users["bob"], name="bob pairs")
    run_id = client.post("/api/runs", json={**TINY, "task": task}, headers=users["bob"]).json()["id"]
    finish(sessions, run_id)
    assert client.post(f"/api/runs/{run_id}/share", json={"shared": True}, headers=users["bob"]).status_code == 200
    page = client.get(f"/runs/{run_id}", headers=users["teach"]).text
    assert "bob pairs" in page and "ada pairs" not in page
    assert client.get(f"/api/runs/{run_id}", headers=users["teach"]).json()["task_name"] == "bob pairs"


def test_an_assignment_trains_only_on_a_dataset_its_instructor_may_use(lab):
    """An instructor cannot hand their class someone else's dataset by its id."""
    client, _, users = lab
    task = upload(client, users["bob"], name="bobs")
    room = client.post("/api/classes", json={"name": "c"}, headers=users["teach"]).json()
    made = client.post(f"/api/classes/{room['id']}/assignments", headers=users["teach"], json={
        "title": "Not mine", "settings": {**TINY, "task": task}, "goal": "task >= 0"})
    assert made.status_code == 422 and made.json()["errors"][0]["field"] == "settings: task", made.text


def test_an_attempt_on_the_instructors_dataset_is_named_as_the_instructor_named_it(lab):
    """Not by an earlier uploader of the same pairs: their name for the data is theirs."""
    client, _, users = lab
    upload(client, users["bob"], name="bob pairs")
    task = upload(client, users["teach"], name="class data")
    room = client.post("/api/classes", json={"name": "c"}, headers=users["teach"]).json()
    assert client.post("/api/classes/join", json={"code": room["join_code"]}, headers=users["ada"]).status_code == 200
    made = client.post(f"/api/classes/{room['id']}/assignments", headers=users["teach"], json={
        "title": "Own data", "settings": {**TINY, "task": task}, "locked": ["task"], "goal": "task >= 0"}).json()
    run_id = client.post(f"/api/assignments/{made['id']}/attempts", json={}, headers=users["ada"]).json()["run_id"]
    assert client.get(f"/api/runs/{run_id}", headers=users["ada"]).json()["task_name"] == "class data"
    page = client.get(f"/runs/{run_id}", headers=users["ada"]).text
    assert "class data" in page and "bob pairs" not in page
