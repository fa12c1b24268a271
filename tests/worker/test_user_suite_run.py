"""Done-when for engineers' own suites: a suite with every scorer is uploaded through the API, a run names it, the
worker measures it beside the tier's capabilities with the real engine (a 2-layer SmolLM2, tests/conftest.py), and
both gates judge it: the web gate on the run's stored items and `forgetlab gate --user-suite` on the saved adapter.
Nothing is mocked but the base's size."""

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from forgetlab.app.views.comparison import keys_of
from forgetlab.core.cli import main
from forgetlab.core.store import runs
from forgetlab.core.settings import Settings
from forgetlab.core.store.db import migrate, session_factory
from forgetlab.worker import jobs
from tests.accounts import bearer, make_user

EVERY = Path(__file__).parents[1] / "core" / "data" / "every_scorer.jsonl"
NAME = "every_scorer"  # the suite's name, from its file: the capability it measures
RUN = {"tier": "smollm2", "task": "support", "method": "lora", "lr": 2e-3, "epochs": 1, "task_examples": 50,
       "batch_size": 8, "eval_every": 5}


@pytest.fixture
def lab(tmp_path, truncated, monkeypatch):
    """(client, settings, ada's auth) of a lab whose SmolLM2 runs train the 2-layer copy on a few probes."""
    from forgetlab.app.main import create_app

    settings = Settings(data_dir=tmp_path, workers=0, database_url=None, redis_url=None, torch_threads=1)
    migrate(settings.sqlalchemy_url)
    ada = bearer(session_factory(settings.sqlalchemy_url), make_user(session_factory(settings.sqlalchemy_url), "ada"))
    real = jobs.run_tier

    def small(session, scenario):
        tier = (real(session, scenario) or jobs.get_tier(scenario.tier)).with_model(truncated)
        tier.final_probes, tier.run_probes, tier.generation_tokens = 8, 2, 12  # every item of the suite at the ends
        return tier

    monkeypatch.setattr(jobs, "run_tier", small)
    with TestClient(create_app(settings)) as client:
        yield client, settings, ada


def test_a_suite_with_every_scorer_is_run_and_gated(lab, truncated, capsys):
    client, settings, ada = lab
    suite = client.post("/api/suites", files={"file": (EVERY.name, EVERY.read_bytes())}, headers=ada).json()
    assert suite["name"] == NAME and len(suite["scorers"]) == 7
    run_id = client.post("/api/runs", json={**RUN, "suites": [suite["id"]]}, headers=ada).json()["id"]
    assert jobs.run_job(run_id=run_id, settings=settings) == "succeeded"

    run = client.get(f"/api/runs/{run_id}", headers=ada).json()
    summary = run["summary"]
    assert list(summary["baseline"])[-1] == NAME and 0 <= summary["final"][NAME] <= 1  # after the tier's own
    assert len(summary["final_items"][NAME]) == 8  # every item, the choice one scored by likelihood
    points = client.get(f"/api/runs/{run_id}/metrics", headers=ada).json()["points"]
    assert all(f"cap.{NAME}.accuracy" in p["values"] for p in points)
    assert NAME in client.get(f"/runs/{run_id}", headers=ada).text  # charted like a built-in capability
    with session_factory(settings.sqlalchemy_url)() as session:  # compare's curves (a page needs two runs)
        assert f"cap.{NAME}.accuracy" in keys_of(session, [runs.get_run(session, run_id=run_id)])
    gate = client.get(f"/api/gate?candidate={run_id}", headers=ada).json()
    assert gate["capabilities"][NAME]["items"] == 8

    # The CLI gate: the run's saved adapter against the same base, on the suite file alone.
    adapter = settings.run_model_dir(run_id)
    report = settings.data_dir / "gate.json"
    try:
        code = main(["gate", "--base", str(truncated), "--tier", "smollm2", "--candidate", str(adapter),
                     "--user-suite", str(EVERY), "--suite", NAME, "--max-drop", "1", "--json", str(report)])
    except SystemExit as e:
        code = e.code
    assert code in (0, None), capsys.readouterr()
    gated = json.loads(report.read_text())
    assert list(gated["capabilities"]) == [NAME] and gated["capabilities"][NAME]["items"] == 8 and gated["passed"]


def test_the_cli_names_each_bad_line_and_refuses_the_synthetic_tier(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "p", "reference": "r", "scorer": "regex", "pattern": "("}\n')
    for args in (["run", "--tier", "smollm2", "--user-suite", str(bad)],
                 ["gate", "--base", "smollm2", "--candidate", str(tmp_path), "--user-suite", str(bad)]):
        assert main(args) == 2  # a usage error
        assert f"{bad}: line 1: pattern: not a regular expression" in capsys.readouterr().err
    assert main(["run", "--user-suite", str(EVERY)]) == 2  # the synthetic tier
    assert "does not measure your own suites" in capsys.readouterr().err
