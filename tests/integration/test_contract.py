"""Contract tests: the real engine's real events, through the real recorder and store, out of the
API and into the pages. Nothing here is hand-made: if the engine's output changes shape, these fail.
"""

import pytest
from fastapi.testclient import TestClient

from forgetlab.core.results import Summary, cap_key
from forgetlab.core.scenario import parse
from forgetlab.core.settings import Settings
from forgetlab.core.store import runs
from forgetlab.core.store.db import migrate, session_factory
from forgetlab.core.tiers import get_tier
from forgetlab.worker.jobs import run_job

TINY = {"task_examples": 64, "epochs": 1, "batch_size": 16, "eval_every": 2}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Two runs trained for real by the job function a worker runs, in one fresh database."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("lab"), workers=0, database_url=None, redis_url=None)
    migrate(settings.sqlalchemy_url)
    sessions = session_factory(settings.sqlalchemy_url)
    ids = []
    for overrides in ({}, {"method": "lora", "wise_ft": True}):
        with sessions() as session:
            ids.append(runs.create_run(session, scenario=parse({**TINY, **overrides}), queue="cpu").id)
        assert run_job(run_id=ids[-1], settings=settings) == "succeeded"
    from forgetlab.app.main import create_app

    with TestClient(create_app(settings)) as client:
        yield client, ids


def test_stored_summary_is_the_contract(lab):
    client, ids = lab
    for run_id in ids:
        run = client.get(f"/api/runs/{run_id}").json()
        summary = Summary.model_validate(run["summary"])  # the API hands back exactly the engine's summary
        assert set(summary.baseline) == set(get_tier("synthetic").capabilities)
        assert run["info"]["parameters"] > run["info"]["trainable"] > 0 or run["config"]["method"] == "full"


def test_stored_points_carry_every_metric_key(lab):
    client, ids = lab
    points = client.get(f"/api/runs/{ids[0]}/metrics").json()["points"]
    assert [p["step"] for p in points] == [0, 2, 4]  # step 0 (the base), every eval_every, the last step
    for cap in get_tier("synthetic").capabilities:
        assert all(cap_key(cap) in p["values"] and cap_key(cap, "nll") in p["values"] for p in points)
    final = client.get(f"/api/runs/{ids[0]}").json()["summary"]["final"]
    assert {c: points[-1]["values"][cap_key(c)] for c in final} == final  # the summary is the curves' end


def test_samples_are_stored_as_the_contract_says(lab):
    client, ids = lab
    samples = client.get(f"/api/runs/{ids[0]}/samples").json()
    assert samples["step"] == 4
    assert {"capability", "prompt", "expected", "base", "output", "correct"} <= set(samples["samples"][0])


def test_pages_render_the_real_run(lab):
    client, ids = lab
    page = client.get(f"/runs/{ids[0]}").text
    for cap in get_tier("synthetic").capabilities:
        assert f'data-key="{cap_key(cap)}"' in page
    assert "What happened" in page or "forgot" in page.lower()
    compare = client.get(f"/compare?runs={ids[0]},{ids[1]}")
    assert compare.status_code == 200 and "WiSE-FT" in compare.text
    csv = client.get(f"/api/export/metrics.csv?runs={ids[0]},{ids[1]}")
    assert csv.status_code == 200 and cap_key("knowledge") in csv.text


def test_finished_runs_save_their_model_and_gate_from_stored_probes(lab):
    import io
    import zipfile

    client, ids = lab
    for run_id, kind in zip(ids, ("full", "adapter")):
        assert client.get(f"/api/runs/{run_id}").json()["info"]["model"]["kind"] == kind
        archive = zipfile.ZipFile(io.BytesIO(client.get(f"/api/runs/{run_id}/model").content))
        names = {n.split("/")[-1] for n in archive.namelist()}
        assert "forgetlab-artifact.json" in names
        assert ("adapter_config.json" in names) == (kind == "adapter")
    report = client.get(f"/api/gate?candidate={ids[0]}").json()
    assert set(report["capabilities"]) == set(get_tier("synthetic").capabilities)
    assert report["capabilities"]["knowledge"]["items"] == 64  # every probe of the final point
    assert client.get(f"/gate?candidate={ids[1]}&base={ids[0]}").status_code == 200
