"""External runs over the API (app/api/external.py): a training process elsewhere creates a run, sends its points
and ends it; the run page, the runs list, compare, the exports and the gate then read it as any run. The points
here are written by hand; tests/integrations/ sends real ones from real training."""

from forgetlab.core.store import runs

SUITES = ["knowledge", "safety"]
ARGS = {"learning_rate": 0.001, "num_train_epochs": 1.0, "seed": 42, "per_device_train_batch_size": 4}


def _point(knowledge: float, safety: float, n: int | None = None) -> dict:
    values = {"cap.knowledge.accuracy": knowledge, "cap.knowledge.nll": 1.0 + (1 - knowledge),
              "cap.safety.accuracy": safety, "cap.safety.nll": 1.2, "refusal": 0.5}
    items = None if n is None else {"knowledge": [[i < knowledge * n, 1.0] for i in range(n)],
                                    "safety": [[i < safety * n, 1.2] for i in range(n)]}
    return {"values": values, "items": items}


def _external_run(client, knowledge_after: float = 0.25, **fields) -> int:
    created = client.post("/api/external-runs", json={"source": "transformers.Trainer", "suites": SUITES,
                                                      "config": ARGS, "model": "HuggingFaceTB/SmolLM2-135M-Instruct",
                                                      "every": 2, "total_steps": 4, **fields})
    assert created.status_code == 201, created.text
    run_id = created.json()["id"]
    for step, (k, s, n) in {0: (1.0, 0.5, 8), 2: (0.5, 0.5, None), 4: (knowledge_after, 0.5, 8)}.items():
        sent = client.post(f"/api/external-runs/{run_id}/points", json={"step": step, **_point(k, s, n)})
        assert sent.status_code == 204, sent.text
    return run_id


def test_an_external_run_streams_in_and_reads_as_any_run(client, sessions):
    run_id = _external_run(client)
    running = client.get(f"/api/runs/{run_id}").json()
    assert running["status"] == "running" and running["external"] and running["step"] == 4
    assert running["config"]["learning_rate"] == 0.001 and running["config"]["source"] == "transformers.Trainer"
    ended = client.post(f"/api/external-runs/{run_id}/end", json={"status": "succeeded", "eval_seconds": 0.5})
    assert ended.status_code == 200, ended.text
    summary = ended.json()["summary"]
    assert summary["baseline"] == {"knowledge": 1.0, "safety": 0.5} and summary["final"]["knowledge"] == 0.25
    assert summary["forgetting"]["knowledge"] == 0.75 and summary["task_accuracy"] is None and summary["steps"] == 4
    # The gate: the base's items against the final model's, probe by probe.
    gate = client.get(f"/api/gate?candidate={run_id}").json()
    assert not gate["passed"] and gate["failed"] == ["knowledge"] and gate["capabilities"]["safety"]["drop"] == 0
    page = client.get(f"/runs/{run_id}").text
    assert "external run" in page and "transformers.Trainer" in page and "Forgot knowledge" in page
    assert "open in the builder" not in page and f"/gate?candidate={run_id}" in page
    assert "external: transformers.Trainer" in client.get("/runs").text
    # Compare with a second external run that forgot less, and export both.
    other = _external_run(client, knowledge_after=0.75, config={**ARGS, "learning_rate": 0.0001})
    client.post(f"/api/external-runs/{other}/end", json={"status": "succeeded"})
    compared = client.get(f"/api/compare?runs={run_id},{other}").json()
    assert compared["varying"] == ["learning_rate"] and compared["best"] is None
    assert compared["runs"][1]["deltas"]["mean drop"]["verdict"] == "better"
    assert client.get(f"/compare?runs={run_id},{other}").status_code == 200
    # Two external runs that differ only in their seed are one setting measured twice: one group, two seeds.
    again = _external_run(client, config={**ARGS, "seed": 43})
    client.post(f"/api/external-runs/{again}/end", json={"status": "succeeded"})
    seeded = client.get(f"/api/compare?runs={run_id},{again}")
    assert seeded.status_code == 200 and client.get(f"/compare?runs={run_id},{again}").status_code == 200
    csv = client.get(f"/api/export/metrics.csv?runs={run_id},{other}").text
    assert csv.splitlines()[0].startswith("run_id,step,cap.knowledge.accuracy") and len(csv.splitlines()) == 7
    exported = client.get(f"/api/export/summary.json?runs={run_id}").json()["runs"][0]
    assert exported["summary"]["final"]["knowledge"] == 0.25
    asked = client.post(f"/api/runs/{run_id}/asks", json={"prompt": "What is the capital of France?"})
    assert asked.status_code == 422 and "trained outside the lab" in asked.text  # its model is not here
    with sessions() as session:  # the reaper never touches an external run, however long its silence
        assert runs.reap_stale(session, timeout=-1, max_attempts=3) == ([], [])


def test_bad_external_input_is_a_4xx_naming_the_field(client):
    def create(**body):
        return client.post("/api/external-runs", json=body)

    assert create(suites=["juggling"]).json()["errors"][0]["field"] == "suites"
    assert create(tier="nope").status_code == 404
    assert create(config={"tier": "x"}).json()["errors"][0]["field"] == "config"
    assert create(source="a;b").json()["errors"][0]["field"] == "source"
    run_id = create(suites=SUITES).json()["id"]
    points = f"/api/external-runs/{run_id}/points"
    unknown = client.post(points, json={"step": 0, "values": {"cap.format.accuracy": 1}})  # not one of its suites
    assert unknown.json()["errors"][0]["field"] == "values"
    assert client.post(points, json={"step": -1, "values": {}}).status_code == 422
    assert client.post(points, json={"step": 0, "values": {"lr": 1},
                                     "items": {"knowledge": []}}).json()["errors"][0]["field"] == "items"
    # Ending it succeeded needs a base point and a later one, with items: refused, then failed is fine.
    end = f"/api/external-runs/{run_id}/end"
    assert client.post(end, json={"status": "succeeded"}).json()["errors"][0]["field"] == "status"
    assert client.post(end, json={"status": "failed", "error": "CUDA out of memory"}).json()["status"] == "failed"
    assert client.post(points, json={"step": 1, "values": {"lr": 1}}).json()["errors"][0]["field"] == "run"
    lab_run = client.post("/api/runs", json={"task_examples": 50, "epochs": 1}).json()["id"]
    refused = client.post(f"/api/external-runs/{lab_run}/points", json={"step": 1, "values": {"lr": 1}})
    assert refused.status_code == 422 and "only external runs" in refused.text


def test_cancelling_an_external_run_ends_it_and_refuses_its_next_point(client):
    run_id = client.post("/api/external-runs", json={"suites": SUITES}).json()["id"]
    assert client.post(f"/api/runs/{run_id}/cancel").json()["status"] == "cancelled"
    late = client.post(f"/api/external-runs/{run_id}/points", json={"step": 3, "values": {"lr": 1}})
    assert late.status_code == 422 and "has ended (cancelled)" in late.text
