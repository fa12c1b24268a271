"""Sweeps through the API and the pages: every combination queued, the run cache, bad grids, progress."""

import pytest

from forgetlab.core.grid import MAX_SWEEP_RUNS

from .conftest import finish

TINY = {"task_examples": 50, "epochs": 1}
GRID = {"base": TINY, "grid": {"method": ["full", "lora"], "lr": ["1e-4", 1e-3], "mix_ratio": [0, 0.2]}}
HX = {"HX-Request": "true", "HX-Target": "sweep-status"}


def test_a_sweep_queues_every_combination_in_grid_order(client):
    r = client.post("/api/sweeps", json=GRID)
    assert r.status_code == 201
    created = r.json()
    assert created["size"] == 8 and len(created["new_runs"]) == 8 and created["reused"] == 0
    sweep = client.get(created["api"]).json()
    assert sweep["axes"] == {"method": ["full", "lora"], "lr": [0.0001, 0.001], "mix_ratio": [0.0, 0.2]}
    assert sweep["title"] == "2 method × 2 lr × 2 mix_ratio on a custom scenario"
    assert [p["values"] for p in sweep["points"][:2]] == [{"method": "full", "lr": 0.0001, "mix_ratio": 0.0},
                                                          {"method": "full", "lr": 0.0001, "mix_ratio": 0.2}]
    assert sweep["progress"]["queued"] == 8 and not sweep["finished"] and sweep["best"] is None
    run = client.get(f"/api/runs/{created['new_runs'][0]}").json()
    assert run["sweep_id"] == created["id"] and run["config"]["task_examples"] == 50
    assert client.get("/api/sweeps").json()[0]["id"] == created["id"]


def test_the_cache_reuses_succeeded_runs_with_the_same_config_and_seed(client, sessions):
    first = client.post("/api/sweeps", json={"base": TINY, "grid": {"seed": [0, 1, 2]}}).json()
    done, failed, _ = first["new_runs"]
    finish(sessions, done)
    finish(sessions, failed, status="failed")  # no result: never reused
    second = client.post("/api/sweeps", json={"base": TINY, "grid": {"seed": [0, 1, 2, 3]}}).json()
    points = client.get(second["api"]).json()["points"]
    assert points[0]["run_id"] == done and points[0]["reused"] and points[0]["status"] == "succeeded"
    assert not any(p["reused"] for p in points[1:]) and second["reused"] == 1
    # Seed 1's run failed and seed 2's is still queued: only a succeeded run counts as cached.
    assert len(second["new_runs"]) == 3 and points[2]["run_id"] not in first["new_runs"]
    again = client.post("/api/sweeps?reuse=false", json={"base": TINY, "grid": {"seed": [0]}}).json()
    assert again["reused"] == 0 and len(again["new_runs"]) == 1
    page = client.get(f"/sweeps/{second['id']}").text
    assert "reused the result of an earlier run with the same settings and seed" in page and ">reused</span>" in page


def test_one_scenario_twice_in_a_grid_trains_once(client):
    created = client.post("/api/sweeps", json={"base": TINY, "grid": {"lr": ["1e-3", 0.001, 0.01]}}).json()
    points = client.get(created["api"]).json()["points"]
    assert created["size"] == 3 and len(created["new_runs"]) == 2
    assert points[0]["run_id"] == points[1]["run_id"] != points[2]["run_id"]


def test_a_single_run_may_reuse_a_finished_one_on_request(client, sessions):
    run_id = client.post("/api/runs", json=TINY).json()["id"]
    assert client.post("/api/runs?reuse=true", json=TINY).json()["id"] != run_id  # not finished yet
    finish(sessions, run_id)
    r = client.post("/api/runs?reuse=true", json=TINY)
    assert r.status_code == 200 and r.json()["id"] == run_id and r.json()["reused"]
    assert client.post("/api/runs", json=TINY).json()["id"] != run_id  # by default a run always trains


def test_the_cache_reuses_only_runs_of_the_same_queue(client, sessions):
    """A gpu run computed under bf16 autocast: its figures are not the cpu queue's float32 ones."""
    from forgetlab.core.store.models import Run

    run_id = client.post("/api/runs", json=TINY).json()["id"]
    finish(sessions, run_id)
    with sessions() as session, session.begin():
        session.get(Run, run_id).queue = "gpu"
    assert client.post("/api/runs?reuse=true", json=TINY).status_code == 201
    swept = client.post("/api/sweeps", json={"base": TINY, "grid": {"seed": [0]}}).json()
    assert swept["reused"] == 0 and len(swept["new_runs"]) == 1


@pytest.mark.parametrize("spec, field, words", [
    ({"grid": {"colour": [1, 2]}}, "colour", "unknown field"),
    ({"grid": {"seed": list(range(MAX_SWEEP_RUNS + 1))}}, "grid", f"49 runs, over the limit of {MAX_SWEEP_RUNS}"),
    ({"grid": {"lr": [1e-3, 5], "seed": [0]}}, "lr", "at lr=5, seed=0"),
    ({"grid": {}}, "grid", "at least one field"),
    ({"preset": "nope", "grid": {"lr": [1e-3]}}, "preset", "unknown preset"),
    ({"base": {"epochs": 0}, "grid": {"lr": [1e-3]}}, "base: epochs", "allowed: 1 to 20"),
    ({"base": {"task": "data:0123456789abcdef"}, "grid": {"lr": [1e-3]}}, "base: task", "no uploaded dataset"),
    ({"grid": {"task": ["data:0123456789abcdef"]}}, "task", "no uploaded dataset"),
    ([1, 2], "body", "dictionary"),
])
def test_bad_grids_are_a_422_naming_the_problem_and_queue_nothing(client, spec, field, words):
    r = client.post("/api/sweeps", json=spec)
    assert r.status_code == 422
    errors = {e["field"]: e["reason"] for e in r.json()["errors"]}
    assert field in errors and words in errors[field], errors
    assert client.get("/api/sweeps").json() == [] and client.get("/api/runs").json()["runs"] == []


def test_unknown_sweeps_are_404(client):
    for path in ("/api/sweeps/9", "/api/sweeps/x", "/sweeps/9"):
        assert client.get(path).status_code == 404
    assert client.post("/api/sweeps/9/cancel").status_code == 404


def test_cancel_a_sweep(client):
    created = client.post("/api/sweeps", json={"base": TINY, "grid": {"seed": [0, 1]}}).json()
    after = client.post(f"/api/sweeps/{created['id']}/cancel").json()
    assert after["finished"] and after["progress"]["cancelled"] == 2


def test_the_sweep_page_polls_until_done_then_opens_the_comparison(client, sessions):
    # Two settings (a sweep of seeds alone names no run: tests/app/test_compare.py's seed tests).
    created = client.post("/api/sweeps", json={"base": TINY, "grid": {"lr": [1e-3, 1e-2]}}).json()
    page = client.get(created["url"]).text
    assert 'hx-trigger="every 2s"' in page and "0 of 2 ended" in page and "Cancel the sweep" in page
    r = client.get(created["url"], headers=HX)
    assert r.text.lstrip().startswith('<section id="sweep-status"') and "HX-Redirect" not in r.headers
    for run_id, drop in zip(created["new_runs"], (0.3, 0.1)):
        finish(sessions, run_id, drop=drop)
    r = client.get(created["url"], headers=HX)
    assert r.headers["HX-Redirect"] == f"/compare?sweep={created['id']}"
    page = client.get(created["url"]).text
    assert "every 2s" not in page and f"Run {created['new_runs'][1]} learns the task with the least forgetting" in page
    assert 'id="open-compare"' in page and page.count('name="runs"') == 2


def test_the_builder_sizes_a_sweep_as_you_type_and_launches_it(client):
    query = "/?epochs=2&sweep_field=lr&sweep_values=1e-4,1e-3&sweep_field=method&sweep_values=full,+lora"
    fragment = client.get(query, headers={"HX-Request": "true", "HX-Target": "validation"}).text
    assert "2 × 2 = 4 runs" in fragment and "Sweep 4 runs" in fragment
    bad = client.get("/?sweep_field=lr&sweep_values=1e-4,5", headers={"HX-Request": "true", "HX-Target": "validation"})
    assert "sweep <b>lr</b>" in bad.text and "at lr=5" in bad.text
    form = {"epochs": "2", "task_examples": "50", "sweep_field": ["lr", "method", ""],
            "sweep_values": ["1e-4, 1e-3", "full,lora", ""]}
    r = client.post("/sweeps", data=form, follow_redirects=False)
    assert r.status_code == 303
    sweep = client.get("/api" + r.headers["location"]).json()
    assert sweep["size"] == 4 and sweep["spec"]["base"] == {"task_examples": 50, "epochs": 2}
    r = client.post("/sweeps", data={"epochs": "2", "sweep_field": [""], "sweep_values": [""]})
    assert r.status_code == 422 and "pick a field to sweep" in r.text
    assert "sweeps" in client.get("/sweeps").text.lower() and r.headers.get("location") is None
