"""Workers on other hosts: in a distributed lab the web process and the Celery worker share no data directory.
The worker streams a run's saved model into PostgreSQL (large objects, core/store/artifacts.py); the web streams
it back out as a zip; the downloaded model is gated by `forgetlab gate`. Real services, real engine."""

import io
import json
import subprocess
import sys
import zipfile

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from forgetlab.core.settings import Settings
from forgetlab.core.store import artifacts
from forgetlab.core.store.db import session_factory
from forgetlab.core.store.models import Run, RunArtifact

from .conftest import ROOT, TINY, Worker, service_env, wait_for


@pytest.fixture(scope="module")
def worker_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("worker-host")


@pytest.fixture(scope="module")
def lab(pg_url, redis_url, pg_token, worker_dir, tmp_path_factory):
    """The web on one data directory, a Celery worker on another."""
    from forgetlab.app.main import create_app

    worker = Worker(service_env(pg_url, redis_url, FORGETLAB_DATA_DIR=str(worker_dir)))
    if not worker.ready.wait(90):
        worker.stop()
        pytest.fail("the Celery worker did not start:\n" + "".join(worker.lines[-40:]))
    web_dir = tmp_path_factory.mktemp("web-host")
    settings = Settings(data_dir=web_dir, database_url=pg_url, redis_url=redis_url, redis_prefix="fltest")
    try:
        with TestClient(create_app(settings)) as client:
            client.headers["Authorization"] = f"Bearer {pg_token}"
            yield client, settings, web_dir
    finally:
        worker.stop()


def test_a_model_trained_on_another_host_downloads_from_the_database_and_gates(lab, worker_dir, tmp_path):
    client, settings, web_dir = lab
    run_id = client.post("/api/runs", json=TINY).json()["id"]
    wait_for(lambda: client.get(f"/api/runs/{run_id}").json()["status"] in ("succeeded", "failed"), 120,
             interval=0.2, what="the run to end")
    assert client.get(f"/api/runs/{run_id}").json()["status"] == "succeeded"
    assert (worker_dir / "artifacts" / f"run-{run_id}").is_dir()  # the worker's own disk
    assert not (web_dir / "artifacts").exists()  # the web never saw that disk
    download = client.get(f"/api/runs/{run_id}/model")
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    zipfile.ZipFile(io.BytesIO(download.content)).extractall(tmp_path)
    model = tmp_path / f"run-{run_id}"
    assert (model / "forgetlab-artifact.json").is_file() and (model / "model.safetensors").is_file()
    gated = subprocess.run([sys.executable, "-m", "forgetlab.core.cli", "gate", "--base", "synthetic", "--candidate",
                            str(model), "--json", str(tmp_path / "gate.json")], cwd=ROOT, capture_output=True,
                           text=True, timeout=300)
    assert gated.returncode in (0, 1), gated.stderr  # passes or fails; 2 would be an error
    report = json.loads((tmp_path / "gate.json").read_text())
    assert report["candidate"]["kind"] == "full" and report["candidate"]["same_base"] is True
    assert report["passed"] == (gated.returncode == 0)


def test_stored_files_round_trip_in_chunks_and_go_with_their_run(lab, pg_url, tmp_path):
    _, settings, _ = lab
    sessions = session_factory(settings.sqlalchemy_url)
    folder = tmp_path / "model"
    folder.mkdir()
    big = bytes(range(256)) * (3 * artifacts.CHUNK // 256 + 7)  # over three chunks
    (folder / "weights.bin").write_bytes(big)
    (folder / "config.json").write_text("{}")
    with sessions() as session:
        run = Run(config={}, config_hash="x" * 16, queue="cpu", status="succeeded")
        session.add(run)
        session.commit()
        assert artifacts.put_folder(session, run_id=run.id, folder=folder) == len(big) + 2
        assert artifacts.names(session, run_id=run.id) == [("config.json", 2), ("weights.bin", len(big))]
        assert artifacts.fetch_folder(session, run_id=run.id, folder=tmp_path / "fetched")
        assert (tmp_path / "fetched" / "weights.bin").read_bytes() == big
        oids = list(session.scalars(select(RunArtifact.oid).where(RunArtifact.run_id == run.id)))
        assert len(oids) == 2
        artifacts.remove(session, run_id=run.id)
        assert artifacts.names(session, run_id=run.id) == []
        left = session.scalar(text("SELECT count(*) FROM pg_largeobject_metadata WHERE oid = ANY(:o)"), {"o": oids})
        assert left == 0  # the large objects went with the rows
