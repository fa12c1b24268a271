"""The regression gate in the web lab: from the per-probe results finished runs store, no model loaded."""

import re

from forgetlab.core.results import Summary

from .conftest import finish

TINY_SCENARIO = {"task_examples": 50, "epochs": 1, "eval_every": 2}


def _with_items(sessions, run_id: int, base: list[bool], final: list[bool]) -> None:
    from forgetlab.core.store.models import Run

    with sessions() as session:
        run = session.get(Run, run_id)
        summary = dict(run.summary)
        summary["baseline_items"] = {"knowledge": [[p, 0.5] for p in base]}
        summary["final_items"] = {"knowledge": [[p, 0.5 if p else 2.0] for p in final]}
        run.summary = Summary.model_validate(summary).model_dump(mode="json")
        session.commit()


def test_a_run_gated_against_its_base_fails_on_a_drop(client, sessions):
    run_id = client.post("/api/runs", json=TINY_SCENARIO).json()["id"]
    finish(sessions, run_id)
    _with_items(sessions, run_id, base=[True] * 20, final=[True] * 12 + [False] * 8)
    report = client.get(f"/api/gate?candidate={run_id}").json()
    knowledge = report["capabilities"]["knowledge"]
    assert not report["passed"] and report["failed"] == ["knowledge"] and knowledge["drop"] == 0.4
    lo, hi = knowledge["delta"]["accuracy_interval"]
    assert lo <= -0.4 <= hi < 0 and knowledge["significant"]
    page = client.get(f"/gate?candidate={run_id}")
    assert page.status_code == 200 and "fails" in page.text and 'data-capability="knowledge"' in page.text
    row = re.search(r'<tr data-capability="knowledge".*?</tr>', page.text, re.S).group(0)
    assert "built-in method" not in page.text and "<td>knowledge</td><td>20</td>" in row  # the probes column
    assert '<span class="tag bad">fails</span>' in row  # the row's verdict is a red badge, as the headline's is
    # Judged on answer NLL too when asked: the knowledge items' NLL rose 0.5 -> 2.0 on the 8 lost probes.
    judged = client.get(f"/api/gate?candidate={run_id}&max_nll_rise=0.1").json()
    assert judged["max_nll_rise"] == 0.1 and judged["capabilities"]["knowledge"]["reasons"] == [
        "drop 0.400 > 0.050", "NLL rise +0.600 > 0.100"]
    assert "NLL rise +0.600 &gt; 0.100" in client.get(f"/gate?candidate={run_id}&max_nll_rise=0.1").text
    assert client.get(f"/api/gate?candidate={run_id}&max_nll_rise=-1").status_code == 422
    assert client.get(f"/gate?candidate={run_id}&max_nll_rise=-1").status_code == 422
    css = client.get("/static/app.css").text
    assert re.search(r"\.tag\.bad \{[^}]*color: var\(--bad\)", css) and re.search(r"\.tag\.ok \{[^}]*var\(--ok\)", css)


def test_two_runs_gate_each_other_and_bad_requests_are_4xx(client, sessions):
    ids = [client.post("/api/runs", json={**TINY_SCENARIO, "seed": s}).json()["id"] for s in (1, 2)]
    for run_id in ids:
        finish(sessions, run_id)
        _with_items(sessions, run_id, base=[True] * 10, final=[True] * 10)
    report = client.get(f"/api/gate?candidate={ids[1]}&base={ids[0]}").json()
    assert report["passed"] and report["base"] == ids[0]
    assert client.get("/api/gate?candidate=999").status_code == 404
    assert client.get("/api/gate?candidate=²").status_code == 404
    assert client.get(f"/api/gate?candidate={ids[0]}&max_drop=2").status_code == 422
    queued = client.post("/api/runs", json={**TINY_SCENARIO, "seed": 3}).json()["id"]
    r = client.get(f"/api/gate?candidate={queued}")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "candidate"
    assert client.get(f"/api/runs/{ids[0]}/model").status_code == 404  # no worker saved one here
