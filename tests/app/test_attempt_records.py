"""Attempts are records: their runs are neither deleted nor cancelled, one counting rule everywhere, only the
instructor voids (with a reason, in the audit log); hidden fields stay hidden from the student everywhere;
the assignment page's resubmit and budget-spent states; per-student attempt numbers."""

import csv
import io
import re

import pytest

from forgetlab.core.store import accounts

from tests.sse import read_sse

from .conftest import finish, saved_model

SMALL = {"task_examples": 64, "epochs": 1, "lr": 0.001}
BODY = {"title": "Keep it", "settings": SMALL, "locked": ["lr"], "hidden": ["epochs", "seed"],
        "goal": "task >= 0.5", "attempt_budget": 2}


@pytest.fixture
def users(sessions):
    """name -> Authorization headers: the class's instructor, two students in it, an instructor of no class."""
    out = {}
    with sessions() as session:
        for name, role in (("teach", "instructor"), ("ann", "student"), ("bob", "student"), ("other", "instructor")):
            user = accounts.create_user(session, name=name, password=None, role=role)
            out[name] = {"Authorization": f"Bearer {accounts.create_token(session, user=user, name='t')[1]}"}
    return out


@pytest.fixture
def course(client, users):
    room = client.post("/api/classes", json={"name": "Forgetting 101"}, headers=users["teach"]).json()
    for student in ("ann", "bob"):
        assert client.post("/api/classes/join", json={"code": room["join_code"]},
                           headers=users[student]).status_code == 200
    made = client.post(f"/api/classes/{room['id']}/assignments", json=BODY, headers=users["teach"])
    assert made.status_code == 201, made.text
    return room, made.json()["id"]


def attempt(client, users, aid, who="ann", body=None):
    made = client.post(f"/api/assignments/{aid}/attempts", json=body or {}, headers=users[who])
    assert made.status_code == 201, made.text
    return made.json()


def grades(client, users, aid) -> dict[str, dict]:
    text = client.get(f"/api/assignments/{aid}/grades.csv", headers=users["teach"]).text
    return {r["username"]: r for r in csv.DictReader(io.StringIO(text))}


def test_a_failed_attempt_is_not_erased_and_not_given_back(client, users, sessions, course):
    """The reported bug: deleting a failed attempt's run removed the attempt and gave it back."""
    _, aid = course
    first = attempt(client, users, aid)
    finish(sessions, first["run_id"], status="failed")
    gone = client.delete(f"/api/runs/{first['run_id']}", headers=users["ann"])
    assert gone.status_code == 409 and "kept as records" in gone.json()["detail"]
    assert gone.json()["errors"][0]["field"] == "run"
    assert client.delete(f"/api/runs/{first['run_id']}", headers=users["teach"]).status_code == 409
    page = client.post(f"/runs/{first['run_id']}/delete", headers=users["ann"])
    assert page.status_code == 409 and "kept as records" in page.text
    shown = client.get(f"/runs/{first['run_id']}", headers=users["ann"]).text
    assert "Delete this run" not in shown and "kept as a record" in shown

    second = attempt(client, users, aid)
    for who in ("ann", "teach"):
        refused = client.post(f"/api/runs/{second['run_id']}/cancel", headers=users[who])
        assert refused.status_code == 409 and "kept as records" in refused.json()["detail"]
    assert client.post(f"/runs/{second['run_id']}/cancel", headers=users["ann"]).status_code == 409
    assert 'hx-post="/runs/' + str(second["run_id"]) + '/cancel"' not in \
        client.get(f"/runs/{second['run_id']}", headers=users["ann"]).text
    assert client.post("/api/runs/cancel-queued", headers=users["ann"]).json() == {"cancelled": [], "count": 0}
    assert client.get(f"/api/runs/{second['run_id']}", headers=users["ann"]).json()["status"] == "queued"
    over = client.post(f"/api/assignments/{aid}/attempts", json={}, headers=users["ann"])
    assert over.status_code == 429 and over.json()["errors"][0]["field"] == "attempt_budget"


def test_one_counting_rule_cancelled_and_failed_attempts_count_everywhere(client, users, sessions, course):
    """Budget, dashboard, class page and CSV agree: every attempt counts but a voided one."""
    room, aid = course
    runs = [attempt(client, users, aid, "bob")["run_id"] for _ in range(2)]
    finish(sessions, runs[0], status="cancelled")  # e.g. stopped by a worker's shutdown
    finish(sessions, runs[1], status="failed")
    assert client.post(f"/api/assignments/{aid}/attempts", json={}, headers=users["bob"]).status_code == 429
    board = client.get(f"/assignments/{aid}/dashboard", headers=users["teach"]).text
    assert re.search(r'data-student="bob"><td>bob</td><td class="count">2 / 2</td>', board)
    assert re.search(r"<td>2</td>", client.get(f"/classes/{room['id']}", headers=users["teach"]).text)
    assert grades(client, users, aid)["bob"]["attempts"] == "2"


def test_only_the_instructor_voids_with_a_reason_kept_in_the_audit_log(client, users, sessions, course):
    _, aid = course
    first, second = attempt(client, users, aid), attempt(client, users, aid)
    finish(sessions, first["run_id"], status="failed")
    url = f"/api/assignments/{aid}/attempts/{first['id']}/void"
    assert client.post(url, json={"reason": "mine"}, headers=users["ann"]).status_code == 403
    assert client.post(url, json={"reason": "x"}, headers=users["other"]).status_code == 404
    blank = client.post(url, json={"reason": ""}, headers=users["teach"])
    assert blank.status_code == 422 and blank.json()["errors"][0]["field"] == "reason"
    voided = client.post(url, json={"reason": "the lab's worker crashed"}, headers=users["teach"])
    assert voided.status_code == 200 and voided.json()["voided"] and voided.json()["number"] == 1
    assert client.post(url, json={"reason": "again"}, headers=users["teach"]).status_code == 422

    # voiding a queued attempt stops its run; the page form does the same
    page = client.post(f"/assignments/{aid}/attempts/{second['id']}/void", data={"reason": "wrong preset"},
                       headers=users["teach"], follow_redirects=False)
    assert page.status_code == 303
    assert client.get(f"/api/runs/{second['run_id']}", headers=users["teach"]).json()["status"] == "cancelled"
    listed = client.get(f"/api/assignments/{aid}/attempts", headers=users["ann"]).json()["attempts"]
    assert [(a["number"], a["voided"], a["void_reason"]) for a in listed] == [
        (1, True, "the lab's worker crashed"), (2, True, "wrong preset")]
    board = re.sub(r"\s+", " ", client.get(f"/assignments/{aid}/dashboard", headers=users["teach"]).text)
    assert re.search(r'class="count">0 / 2 <span class="muted">\(\+2 voided\)', board)
    assert "teach voided ann&#39;s attempt 1: the lab&#39;s worker crashed" in board
    assert "teach voided ann&#39;s attempt 2: wrong preset" in board
    assert grades(client, users, aid)["ann"]["attempts"] == "0"
    attempt(client, users, aid)  # both given back
    attempt(client, users, aid)


def test_the_instructors_cancel_all_queued_voids_and_logs(client, users, course):
    room, aid = course
    made = attempt(client, users, aid, "bob")
    assert client.post(f"/api/classes/{room['id']}/cancel-queued", headers=users["teach"]).json() == {"cancelled": 1}
    listed = client.get(f"/api/assignments/{aid}/attempts", headers=users["bob"]).json()["attempts"]
    assert listed[0]["id"] == made["id"] and listed[0]["voided"] and listed[0]["status"] == "cancelled"
    assert "cancelled by the instructor" in client.get(f"/assignments/{aid}/dashboard", headers=users["teach"]).text


def test_hidden_fields_stay_hidden_from_the_student_everywhere(client, users, sessions, settings, course):
    _, aid = course
    made = attempt(client, users, aid)
    finish(sessions, made["run_id"])
    run_id = made["run_id"]
    mine = client.get(f"/api/runs/{run_id}", headers=users["ann"]).json()
    assert "epochs" not in mine["config"] and "seed" not in mine["config"] and mine["config"]["lr"] == 0.001
    assert mine["config_hash"] == "hidden"
    assert client.get(f"/api/runs/{run_id}", headers=users["teach"]).json()["config"]["epochs"] == 1
    listed = client.get("/api/runs", headers=users["ann"]).json()["runs"]
    assert [("epochs" in r["config"], r["config_hash"]) for r in listed] == [(False, "hidden")]
    labelled = client.patch(f"/api/runs/{run_id}", json={"name": "mine"}, headers=users["ann"]).json()
    assert "epochs" not in labelled["config"]
    page = client.get(f"/runs/{run_id}", headers=users["ann"]).text
    assert "epoch" not in page and "seed " not in page and "some settings hidden" in page
    assert "epoch" in client.get(f"/runs/{run_id}", headers=users["teach"]).text
    assert "epoch" not in client.get("/runs", headers=users["ann"]).text
    exported = client.get(f"/api/export/summary.json?runs={run_id}", headers=users["ann"]).json()["runs"][0]
    assert "epochs" not in exported["config"] and exported["config_hash"] == "hidden"
    summary = list(csv.DictReader(io.StringIO(client.get(f"/api/export/summary.csv?runs={run_id}",
                                                         headers=users["ann"]).text)))[0]
    assert summary["config.epochs"] == "" and summary["config.seed"] == "" and summary["config_hash"] == "hidden"
    # the run cache would tell the hidden settings: an attempt's run is never reused
    scenario = client.get(f"/api/runs/{run_id}", headers=users["teach"]).json()["config"]
    assert client.post("/api/runs?reuse=true", json=scenario, headers=users["ann"]).status_code == 201
    swept = client.post("/api/sweeps", json={"base": scenario, "grid": {"epochs": [1, 3]}},
                        headers=users["ann"]).json()
    assert swept["reused"] == 0 and len(swept["new_runs"]) == 2  # nor by a sweep: epochs=1 would say "reused"
    # the saved model's files name every setting (its manifest's scenario): the instructor's to download only
    saved_model(settings, run_id, for_run=run_id)
    refused = client.get(f"/api/runs/{run_id}/model", headers=users["ann"])
    assert refused.status_code == 403 and "hides" in refused.json()["detail"]
    assert client.get(f"/api/runs/{run_id}/model", headers=users["teach"]).status_code == 200


def test_a_follow_up_of_an_attempt_does_not_compare_its_hidden_settings(client, users, sessions, course):
    """The run page's "this run vs its parent" names what changed: never a setting the parent attempt hides."""
    from forgetlab.core.store import runs

    _, aid = course
    made = attempt(client, users, aid)
    finish(sessions, made["run_id"])
    mine = client.post("/api/runs", json={**SMALL, "epochs": 3, "seed": 7, "lr": 0.003}, headers=users["ann"]).json()
    finish(sessions, mine["id"])
    with sessions() as session, session.begin():
        runs.set_parent(session, run_id=mine["id"], parent_id=made["run_id"])
    page = client.get(f"/runs/{mine['id']}", headers=users["ann"]).text
    changed = re.search(r'<section class="parent-compare".*?</p>', page, re.S).group(0)
    assert "<code>lr</code>" in changed and "epochs" not in changed and "seed" not in changed
    teacher = client.get(f"/runs/{mine['id']}", headers=users["teach"]).text  # the instructor sees it whole
    assert "<code>epochs</code>" in re.search(r'<section class="parent-compare".*?</p>', teacher, re.S).group(0)


def test_no_run_says_it_repeats_an_attempt(client, users, sessions, course):
    """A student's own run with the attempt's exact settings would otherwise read "repeat of #<attempt>"."""
    _, aid = course
    made = attempt(client, users, aid)
    finish(sessions, made["run_id"])
    same = client.post("/api/runs", json=SMALL, headers=users["ann"]).json()["id"]
    from forgetlab.core.store import runs

    with sessions() as session:
        hashes = {runs.get_run(session, run_id=i).config_hash for i in (same, made["run_id"])}
    assert len(hashes) == 1  # the same settings: without the fix its page would say "repeat of" the attempt
    assert "repeat of" not in client.get(f"/runs/{same}", headers=users["ann"]).text
    assert "repeat of" not in client.get("/runs", headers=users["ann"]).text


def test_an_attempts_curves_go_without_the_scalars_that_read_back_its_settings(client, users, sessions, course):
    """A metric point's lr is the learning rate, and its epoch's last value the epochs: not for the student."""
    _, aid = course
    run_id = attempt(client, users, aid)["run_id"]
    finish(sessions, run_id)
    for who, shown in (("ann", False), ("teach", True)):
        with client.stream("GET", f"/api/runs/{run_id}/events", headers=users[who]) as r:
            points = [data["values"] for event, _, data in read_sse(r) if event == "point"]
        assert len(points) == 3 and all(("lr" in v and "epoch" in v) is shown for v in points), who
        assert all("cap.knowledge.accuracy" in v for v in points)
        columns = client.get(f"/api/export/metrics.csv?runs={run_id}", headers=users[who]).text.splitlines()[0]
        assert ("lr" in columns.split(",") and "epoch" in columns.split(",")) is shown, who
        doc = client.get(f"/api/export/metrics.json?runs={run_id}", headers=users[who]).json()["runs"][0]
        assert all(("lr" in p["values"]) is shown for p in doc["points"]), who
        listed = client.get(f"/api/runs/{run_id}/metrics", headers=users[who]).json()["points"]
        assert len(listed) == 3 and all(("epoch" in p["values"]) is shown for p in listed), who


def test_an_attempts_info_goes_without_what_reads_back_its_settings(client, users, sessions, course):
    """Trainable parameters give a LoRA rank, the saved model's kind the method: not for the student."""
    from forgetlab.core.store import runs

    _, aid = course
    run_id = attempt(client, users, aid)["run_id"]
    finish(sessions, run_id)
    with sessions() as session:
        runs.update_info(session, run_id=run_id, parameters=173056, trainable=1536, total_steps=2,
                         model={"kind": "adapter", "url": f"/api/runs/{run_id}/model"}, group=[run_id, run_id + 1])
    for who, shown in (("ann", False), ("teach", True)):
        info = client.get(f"/api/runs/{run_id}", headers=users[who]).json()["info"]
        assert info["total_steps"] == 2 and ("trainable" in info and "model" in info and "group" in info) is shown
        page = client.get(f"/runs/{run_id}", headers=users[who]).text
        assert ("trained in a group" in page) is shown, who  # and no model link (read from the same info)


def test_a_hidden_field_is_no_oracle(client, users, course):
    """The right and the wrong value of a hidden field get the same answer, on the page and the API."""
    _, aid = course
    right = client.get(f"/assignments/{aid}?epochs=1", headers=users["ann"]).text
    wrong = client.get(f"/assignments/{aid}?epochs=3", headers=users["ann"]).text
    validation = [re.search(r'<div id="validation".*?</div>', t, re.S).group(0) for t in (right, wrong)]
    assert validation[0] == validation[1] and "Ready" not in validation[0]
    answers = [client.post(f"/api/assignments/{aid}/attempts", json={"epochs": v}, headers=users["ann"])
               for v in (1, 3, "1")]
    assert {a.status_code for a in answers} == {422} and len({a.text for a in answers}) == 1


def test_the_page_submits_again_after_an_attempt_and_says_when_none_is_left(client, users, course):
    _, aid = course
    sent = client.post(f"/assignments/{aid}/attempts", data={}, headers=users["ann"], follow_redirects=False)
    assert sent.status_code == 303 and "?" not in sent.headers["location"]
    again = client.get(sent.headers["location"], headers=users["ann"]).text
    assert "unknown field" not in again and re.search(r'id="run-attempt" >Run attempt', again)
    client.post(f"/assignments/{aid}/attempts", data={}, headers=users["ann"])
    spent = client.get(f"/assignments/{aid}", headers=users["ann"]).text
    assert "You have used all your attempts." in spent and re.search(r'id="run-attempt" disabled', spent)


def test_attempts_are_numbered_per_student(client, users, course):
    _, aid = course
    attempt(client, users, aid, "bob")
    attempt(client, users, aid, "bob")
    mine = attempt(client, users, aid, "ann")
    assert mine["number"] == 1
    assert (mine["queue_position"], mine["eta_seconds"]) == (3, None)  # bob's two wait before it; no run time yet
    page = client.get(f"/assignments/{aid}", headers=users["ann"]).text
    assert '<span class="muted queue-standing">3rd in the queue</span>' in page
    assert re.search(rf'id="attempt-{mine["id"]}" class=""><td>1</td>', page)


def test_the_dashboard_keeps_run_status_and_verdict_apart(client, users, sessions, course):
    _, aid = course
    made = attempt(client, users, aid)
    finish(sessions, made["run_id"], task=0.2)
    board = client.get(f"/assignments/{aid}/dashboard", headers=users["teach"]).text
    row = re.search(r'data-student="ann">.*?</tr>', board, re.S).group(0)
    assert re.search(r'class="last-status"><span class="badge succeeded">succeeded</span></td>', row)
    assert re.search(r'class="last-verdict"><span class="bad">not passed</span>: task 0.2 is not &gt;= 0.5', row)


def test_destructive_buttons_ask_first(client, users, course):
    room, _ = course
    page = client.get(f"/classes/{room['id']}", headers=users["teach"]).text
    assert re.search(r"<details[^>]*><summary>Cancel all queued runs…</summary>", page)
    account = client.get("/account", headers=users["teach"]).text
    assert re.search(r"<details class=\"danger\"><summary>Revoke…</summary>", account)
