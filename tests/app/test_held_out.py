"""The held-out split: a student never gets the private part's figures from any route (the run's JSON, its
metrics, samples and SSE stream, the exports, the comparison, the run, assignment and class pages, the attempt
list, the public leaderboard); the instructor sees them; goals, grades and the final leaderboard judge them,
and the final leaderboard opens to students after the due date.

The run goes through the real worker path (worker/jobs.py, its recorder) with a stand-in engine whose events
carry a private part of sentinel figures, so the test also shows that the private part is never a stored row.
"""

import json
from datetime import timedelta

import pytest
from sqlalchemy import update

from forgetlab.core.holdout import Holdout
from forgetlab.core.results import Metrics, PrivateMeasures, Started, Summary
from forgetlab.core.store import accounts, classes, runs
from forgetlab.core.store.models import Assignment, utcnow
from forgetlab.worker import jobs
from tests.sse import read_sse

from .conftest import CAPS, summary

# The private part's figures: numbers no public figure is near, so any trace of them is a leak.
PRIVATE_KNOWLEDGE, PRIVATE_TASK = 0.6137137, 0.3771377
SENTINELS = ("0.6137", "0.614", "0.377", "61%", "38%")  # as JSON, the goal language (fmt) and a page (pct) write them


def _private_point(step: int) -> PrivateMeasures:
    caps = {c: {"accuracy": 1.0, "nll": 0.1} for c in CAPS}
    caps["knowledge"] = {"accuracy": 1.0 if step == 0 else PRIVATE_KNOWLEDGE, "nll": 0.2}
    return PrivateMeasures(capabilities=caps, task={"name": "support-narrow", "accuracy": 0.0 if step == 0 else
                                                    PRIVATE_TASK, "nll": 3.0})


def _point(step: int) -> Metrics:
    caps = {c: {"accuracy": 1.0 if step == 0 else 0.95, "nll": 0.1} for c in CAPS}
    return Metrics(step=step, epoch=step / 10, train_loss=None if step == 0 else 0.5, val_loss=2.0, lr=1e-3,
                   seconds=step / 10, capabilities=caps,
                   task={"name": "support-narrow", "accuracy": 0.0 if step == 0 else 1.0, "nll": 3.0},
                   private=_private_point(step))


def _summary() -> Summary:
    public = summary(drop=0.05, task=1.0)  # passes the goal on the public probes
    drop = 1.0 - PRIVATE_KNOWLEDGE
    private = {"baseline": {c: 1.0 for c in CAPS}, "final": {**{c: 1.0 for c in CAPS}, "knowledge": PRIVATE_KNOWLEDGE},
               "forgetting": {**{c: 0.0 for c in CAPS}, "knowledge": drop},
               "max_drop": {**{c: 0.0 for c in CAPS}, "knowledge": drop},
               "retention": {**{c: 100.0 for c in CAPS}, "knowledge": 100 * PRIVATE_KNOWLEDGE}, "bwt": -drop / 5,
               "task_accuracy": {"baseline": 0.0, "final": PRIVATE_TASK}, "task_gain": PRIVATE_TASK,
               "baseline_nll": {c: 0.1 for c in CAPS}, "final_nll": {c: 0.1 for c in CAPS}}
    return Summary.model_validate({**public, "private": private})


def _engine(seen: dict):
    def train(scenario, on_event, *, holdout, **rest):
        seen["holdout"] = holdout
        on_event(Started(total_steps=10, scenario={}, parameters=100, trainable=50))
        for step in (0, 10):
            on_event(_point(step))
        return _summary(), None
    return lambda: train


@pytest.fixture
def users(sessions):
    out = {}
    with sessions() as session:
        for name, role in (("teach", "instructor"), ("ann", "student"), ("bob", "student")):
            user = accounts.create_user(session, name=name, password=None, role=role)
            out[name] = {"Authorization": f"Bearer {accounts.create_token(session, user=user, name='t')[1]}"}
    return out


@pytest.fixture
def lab(client, users, sessions, settings, monkeypatch):
    """A split assignment (50% private, due tomorrow) with one finished attempt of ann's: (assignment, run id)."""
    room = client.post("/api/classes", json={"name": "Held out"}, headers=users["teach"]).json()
    for student in ("ann", "bob"):
        client.post("/api/classes/join", json={"code": room["join_code"]}, headers=users[student])
    made = client.post(f"/api/classes/{room['id']}/assignments", headers=users["teach"],
                       json={"title": "Split", "settings": {"task_examples": 64, "epochs": 1}, "goal": "task >= 0.9",
                             "score": "task", "private_percent": 50, "late_policy": "none",
                             "due_at": (utcnow() + timedelta(days=1)).isoformat()})
    assert made.status_code == 201, made.text
    assignment = client.get(f"/api/assignments/{made.json()['id']}", headers=users["ann"]).json()
    assert assignment["private_percent"] == 50 and "salt" not in json.dumps(assignment)
    made = client.post(f"/api/assignments/{assignment['id']}/attempts", json={}, headers=users["ann"])
    run_id = made.json()["run_id"]
    seen: dict = {}
    monkeypatch.setattr(jobs, "_engine", _engine(seen))
    monkeypatch.setattr(jobs, "_runtime", lambda queue, tier, processes, settings: None)
    assert jobs.run_job(run_id=run_id, settings=settings) == "succeeded"
    with sessions() as session:
        row = classes.get_assignment(session, assignment_id=assignment["id"])
        assert seen["holdout"] == Holdout(0.5, row.private_salt)  # the engine measured with the assignment's split
        run = runs.get_run(session, run_id=run_id)
        assert "private" not in run.summary and run.private_summary["task_accuracy"]["final"] == PRIVATE_TASK
        stored = [v for _, values in runs.points_after(session, run_id=run_id) for v in values.values()]
        assert PRIVATE_TASK not in stored and PRIVATE_KNOWLEDGE not in stored  # never a stored row
    return assignment["id"], run_id


def _leaks(text: str) -> list[str]:
    return [s for s in SENTINELS if s in text] + (["private"] if '"private"' in text else [])


def _student_views(client, headers, aid, run_id) -> dict[str, str]:
    other = client.post("/api/runs", json={"task_examples": 50}, headers=headers).json()["id"]
    views = {path: client.get(path, headers=headers) for path in (
        f"/api/runs/{run_id}", f"/api/runs/{run_id}/metrics", f"/api/runs/{run_id}/samples", "/api/runs",
        f"/api/export/metrics.csv?runs={run_id}", f"/api/export/metrics.json?runs={run_id}",
        f"/api/export/summary.csv?runs={run_id}", f"/api/export/summary.json?runs={run_id}",
        f"/api/compare?runs={run_id},{other}", f"/compare?runs={run_id},{other}", f"/runs/{run_id}", "/runs",
        f"/api/assignments/{aid}", f"/api/assignments/{aid}/attempts", f"/assignments/{aid}",
        f"/api/assignments/{aid}/leaderboard", f"/assignments/{aid}/leaderboard")}
    for path, response in views.items():
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
    out = {path: r.text for path, r in views.items()}
    with client.stream("GET", f"/api/runs/{run_id}/events", headers=headers) as r:
        out["events"] = json.dumps(read_sse(r))
    return out


def test_a_student_gets_no_private_figure_from_any_route(client, users, sessions, lab):
    aid, run_id = lab
    with sessions() as session:
        salt = classes.get_assignment(session, assignment_id=aid).private_salt
    for path, text in _student_views(client, users["ann"], aid, run_id).items():
        assert not _leaks(text), (path, _leaks(text))
        assert salt not in text, path  # which probes are private stays unknown too
    # The student's attempt is judged, during the assignment, on the public probes (where it passes) ...
    listed = client.get(f"/api/assignments/{aid}/attempts", headers=users["ann"]).json()["attempts"][0]
    assert listed["passed"] is True and listed["score"] == 100
    board = client.get(f"/api/assignments/{aid}/leaderboard", headers=users["ann"]).json()
    assert board["view"] == "public" and board["rows"][0]["score"] == 1.0
    # ... and the final leaderboard is not theirs to see before the due date.
    final = client.get(f"/api/assignments/{aid}/leaderboard?view=final", headers=users["ann"])
    assert final.status_code == 403 and final.json()["errors"][0]["field"] == "view"
    assert client.get(f"/assignments/{aid}/leaderboard?view=final", headers=users["ann"]).status_code == 403
    odd = client.get(f"/assignments/{aid}/leaderboard?view=secret", headers=users["ann"])
    assert odd.status_code == 422 and "view" in odd.text


def test_the_instructor_sees_the_private_part_and_the_grade_judges_it(client, users, lab):
    aid, run_id = lab
    page = client.get(f"/runs/{run_id}", headers=users["teach"]).text
    assert 'id="private-part"' in page and "61%" in page and "38%" in page
    listed = client.get(f"/api/assignments/{aid}/attempts", headers=users["teach"]).json()["attempts"][0]
    assert listed["passed"] is False and listed["score"] == 0 and "0.377" in listed["reason"]  # the private task
    final = client.get(f"/api/assignments/{aid}/leaderboard?view=final", headers=users["teach"]).json()
    assert final["view"] == "final" and final["rows"][0]["score"] == PRIVATE_TASK
    assert client.get(f"/api/assignments/{aid}/leaderboard", headers=users["teach"]).json()["view"] == "public"
    grades = client.get(f"/api/assignments/{aid}/grades.csv", headers=users["teach"]).text
    ann = next(line for line in grades.splitlines() if line.startswith("ann,"))
    assert ",0,100,no," in ann and ",no,1," in ann  # score 0 of 100, not late; not passed, one attempt
    assert "50% of the probes private" in client.get(f"/assignments/{aid}/dashboard", headers=users["teach"]).text
    html = client.get(f"/assignments/{aid}/leaderboard?view=final", headers=users["teach"]).text
    assert "Final leaderboard" in html and "held-out" in html


def test_after_the_due_date_the_final_leaderboard_opens_to_students(client, users, sessions, lab):
    aid, run_id = lab
    with sessions() as session:
        session.execute(update(Assignment).where(Assignment.id == aid).values(due_at=utcnow() - timedelta(hours=1)))
        session.commit()
    board = client.get(f"/api/assignments/{aid}/leaderboard", headers=users["bob"]).json()
    assert board["view"] == "final" and board["rows"][0]["score"] == PRIVATE_TASK
    assert "Final leaderboard" in client.get(f"/assignments/{aid}/leaderboard", headers=users["bob"]).text
    listed = client.get(f"/api/assignments/{aid}/attempts", headers=users["ann"]).json()["attempts"][0]
    assert listed["passed"] is False and listed["score"] == 0  # the final verdict and grade ...
    assert "0.377" not in listed["reason"]  # ... with the public reason: the run's own figures stay public
    for path in (f"/api/runs/{run_id}", f"/runs/{run_id}", f"/api/export/summary.json?runs={run_id}"):
        assert not _leaks(client.get(path, headers=users["ann"]).text), path


def test_a_bad_private_percent_is_named(client, users):
    room = client.post("/api/classes", json={"name": "Bad"}, headers=users["teach"]).json()
    for bad in (0.5, 99.5, 150):
        made = client.post(f"/api/classes/{room['id']}/assignments", headers=users["teach"],
                           json={"title": "x", "goal": "task >= 0.9", "private_percent": bad})
        assert made.status_code == 422 and "private_percent" in made.text, (bad, made.text)
    form = client.post(f"/classes/{room['id']}/assignments", headers=users["teach"],
                       data={"title": "x", "goal": "task >= 0.9", "preset": "break-it", "private_percent": "half"})
    assert form.status_code == 422 and 'id="err-private_percent"' in form.text and "1 to 99" in form.text
