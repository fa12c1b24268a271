"""The embedded lab end to end: SQLite, warm spawned worker processes, the real engine."""

import os
import signal

import pytest
from fastapi.testclient import TestClient

from forgetlab.core.settings import Settings
from forgetlab.core.store.db import migrate

from .conftest import TINY, wait_for
from .flows import (
    check_ask,
    check_cancel,
    check_run_survives_a_dropped_stream,
    check_sweep,
    run,
    start_long_run,
)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    from forgetlab.app.main import create_app

    settings = Settings(data_dir=tmp_path_factory.mktemp("lab"), database_url=None, redis_url=None, workers=1,
                        warm_spares=1)
    migrate(settings.sqlalchemy_url)
    app = create_app(settings)
    with TestClient(app) as client:
        wait_for(lambda: app.state.executor.busy()["warm"] >= 1, 90, what="a warm worker process")
        yield client


def test_a_run_streams_every_point_across_a_reconnect(lab):
    check_run_survives_a_dropped_stream(lab)


def test_a_question_to_a_runs_model_is_answered_by_a_worker(lab):
    check_ask(lab)


def test_cancel_kills_a_running_run_and_drops_a_queued_one(lab):
    check_cancel(lab)


def test_a_worker_process_that_dies_has_its_run_put_back_in_line(lab):
    """A killed child's run goes back in line for its second attempt (the drills in tests/drills check that it
    resumes from its checkpoint with no point lost); the lab carries on with a fresh process."""
    executor = lab.app.state.executor
    wait_for(lambda: executor.busy()["warm"] >= 1, 90, what="a warm worker process")
    run_id = start_long_run(lab)
    child = next(c for c in executor.children if c.run_id == run_id)
    os.kill(child.process.pid, signal.SIGKILL)  # as the OOM killer would
    wait_for(lambda: run(lab, run_id)["attempts"] == 2, 90, what="the run's second attempt")
    assert run(lab, run_id)["status"] in ("queued", "running")
    lab.post(f"/api/runs/{run_id}/cancel")  # hundreds of steps: the drills let one finish
    wait_for(lambda: run(lab, run_id)["status"] == "cancelled", 5, what="the retried run to stop")
    wait_for(lambda: executor.busy()["warm"] >= 1, 90, what="a replacement worker process")
    next_id = lab.post("/api/runs", json=TINY).json()["id"]
    wait_for(lambda: run(lab, next_id)["status"] == "succeeded", 30, what="the next run")


def test_a_sweep_runs_in_warm_reused_processes_and_is_cached(lab):
    first, second = check_sweep(lab)
    assert first["worker"] == second["worker"]  # one process ran both, the second started warm
    # The cache's premise: the same config and seed give the same result, in a reused process too.
    rerun = lab.post("/api/runs", json=first["config"]).json()["id"]
    wait_for(lambda: run(lab, rerun)["status"] == "succeeded", 30, what="the rerun")
    timing = ("seconds", "setup_seconds", "eval_seconds", "train_seconds")
    same = [{k: v for k, v in r["summary"].items() if k not in timing} for r in (first, run(lab, rerun))]
    assert same[0] == same[1]
