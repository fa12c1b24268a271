"""The JSON API: create, list, read, metrics, cancel, presets; 422 names the field, 404 for unknown ids."""

import pytest

from forgetlab.core.presets import PRESETS
from forgetlab.core.store.models import Run

from .conftest import metrics_event, record

TINY = {"task_examples": 50, "epochs": 1, "eval_every": 2}


def test_create_then_read_a_run(client):
    r = client.post("/api/runs", json=TINY)
    assert r.status_code == 201
    created = r.json()
    assert created["url"] == f"/runs/{created['id']}" and created["status"] == "queued"
    run = client.get(f"/api/runs/{created['id']}").json()
    assert run["config"]["task_examples"] == 50 and run["total_steps"] == 2 and run["summary"] is None
    assert [r["id"] for r in client.get("/api/runs").json()["runs"]] == [created["id"]]


def test_a_preset_scenario_is_labelled_with_its_preset(client):
    run_id = client.post("/api/runs", json=PRESETS["fix-it"].overrides).json()["id"]
    assert client.get(f"/api/runs/{run_id}").json()["preset"] == "fix-it"


def test_a_run_from_a_preset_by_name_with_overrides(client):
    """As /api/sweeps takes `preset`, so does a single run: its fields, then the body's."""
    r = client.post("/api/runs", json={"preset": "fix-it"})
    assert r.status_code == 201
    run = client.get(f"/api/runs/{r.json()['id']}").json()
    assert run["preset"] == "fix-it" and run["config"] == PRESETS["fix-it"].scenario().model_dump(mode="json")
    changed = client.get(f"/api/runs/{client.post('/api/runs', json={'preset': 'fix-it', 'seed': 7}).json()['id']}").json()
    assert changed["config"]["seed"] == 7 and changed["config"]["method"] == run["config"]["method"]
    r = client.post("/api/runs", json={"preset": "no-such-preset"})
    assert r.status_code == 422 and "unknown preset" in {e["field"]: e["reason"] for e in r.json()["errors"]}["preset"]


def test_runs_list_sorts_oldest_first_and_names_a_bad_sort(client):
    ids = [client.post("/api/runs", json={**TINY, "seed": s}).json()["id"] for s in (1, 2, 3)]
    assert [r["id"] for r in client.get("/api/runs").json()["runs"]] == ids[::-1]
    assert [r["id"] for r in client.get("/api/runs?sort=newest").json()["runs"]] == ids[::-1]
    assert [r["id"] for r in client.get("/api/runs?sort=oldest").json()["runs"]] == ids
    assert [r["id"] for r in client.get("/api/runs?sort=oldest&limit=1&offset=1").json()["runs"]] == ids[1:2]
    r = client.get("/api/runs?sort=sideways")
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["sort"]


@pytest.mark.parametrize("body, field, words", [
    ({"lr": 5}, "lr", "allowed: 1e-06 to 0.1"),
    ({"epochs": 0}, "epochs", "allowed: 1 to 20"),
    ({"method": "magic"}, "method", "allowed: full, lora"),
    ({"bogus": 1}, "bogus", "unknown field"),
    ({"mix_ratio": 0.5, "replay_ratio": 0.5}, "scenario", "at most 0.9"),
    ({"epochs": 20, "task_examples": 5000}, "scenario", "over the limit"),
    ({"freeze_layers": 3}, "freeze_layers", "has 3 transformer blocks: freeze at most 2"),
    ([1, 2], "body", "dictionary"),
])
def test_bad_input_is_a_422_naming_the_field(client, body, field, words):
    r = client.post("/api/runs", json=body)
    assert r.status_code == 422
    errors = {e["field"]: e["reason"] for e in r.json()["errors"]}
    assert field in errors and words in errors[field]


def test_malformed_json_and_bad_queries_are_422_not_500(client):
    r = client.post("/api/runs", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert client.get("/api/runs?limit=0").status_code == 422
    assert client.get("/api/runs?status=exploded").status_code == 422


@pytest.mark.parametrize("path", ["/api/runs/999", "/api/runs/abc", "/api/runs/999/metrics",
                                  "/api/runs/999/events", "/api/runs/1e9/samples"])
def test_unknown_ids_are_404_json(client, path):
    r = client.get(path)
    assert r.status_code == 404 and r.json()["detail"].startswith("no run")


def test_unknown_id_on_cancel_is_404(client):
    assert client.post("/api/runs/999/cancel").status_code == 404


def test_metrics_come_back_grouped_by_step(client, sessions):
    run_id = client.post("/api/runs", json=TINY).json()["id"]
    for step in (0, 2):
        record(sessions, run_id, metrics_event(step))
    points = client.get(f"/api/runs/{run_id}/metrics").json()["points"]
    assert [p["step"] for p in points] == [0, 2]
    assert points[0]["values"]["cap.knowledge.accuracy"] == 0.9 and "train_loss" not in points[0]["values"]
    assert [p["step"] for p in client.get(f"/api/runs/{run_id}/metrics?after=0").json()["points"]] == [2]


def test_cancel_a_queued_run(client, sessions):
    run_id = client.post("/api/runs", json=TINY).json()["id"]
    r = client.post(f"/api/runs/{run_id}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    with sessions() as s:
        assert s.get(Run, run_id).finished_at is not None
    assert client.post(f"/api/runs/{run_id}/cancel").json()["status"] == "cancelled"  # idempotent


def test_presets_and_schema(client):
    presets = client.get("/api/presets").json()
    assert {p["name"] for p in presets} == set(PRESETS)
    assert all(p["explanation"] and p["scenario"]["version"] == 1 for p in presets)
    schema = client.get("/api/scenario").json()
    assert schema["schema"]["properties"]["lr"]["description"]


def test_openapi_documents_every_endpoint(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/runs", "/api/runs/{run_id}", "/api/runs/{run_id}/metrics", "/api/runs/{run_id}/events",
                 "/api/runs/{run_id}/cancel", "/api/presets"):
        assert path in paths
    assert "/" not in paths  # HTML routes stay out of the API docs


def test_tiers_list_capabilities_and_tasks(client):
    tiers = client.get("/api/tiers").json()
    synthetic = next(t for t in tiers if t["name"] == "synthetic")
    assert "knowledge" in [c["name"] for c in synthetic["capabilities"]]
    assert "support-narrow" in [t["name"] for t in synthetic["tasks"]]
    assert len(synthetic["model"]["checksum"]) == 64
