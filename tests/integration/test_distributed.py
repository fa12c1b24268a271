"""The distributed lab end to end: PostgreSQL, Celery over Redis, a real worker subprocess, the real engine."""

import os
import signal
import subprocess
import sys

import pytest

from .conftest import ROOT, distributed_lab, service_env, wait_for
from .flows import (
    check_ask,
    check_cancel,
    check_grouped_sweep,
    check_run_survives_a_dropped_stream,
    check_sweep,
    run,
    start_long_run,
)


@pytest.fixture(scope="module")
def lab(pg_url, redis_url, celery_worker, pg_token):
    with distributed_lab(pg_url, redis_url, pg_token) as client:
        yield client


def test_a_run_streams_every_point_across_a_reconnect(lab):
    run_id = check_run_survives_a_dropped_stream(lab)
    assert ":" in run(lab, run_id)["worker"]  # host:pid of the Celery pool process


def test_a_question_to_a_runs_model_is_answered_by_a_worker(lab):
    check_ask(lab)


def test_cancel_stops_a_running_run_and_drops_a_queued_one(lab):
    check_cancel(lab)


def test_a_run_whose_worker_died_is_retried_once(lab, celery_worker):
    run_id = start_long_run(lab)
    pid = int(run(lab, run_id)["worker"].rsplit(":", 1)[1])
    os.kill(pid, signal.SIGKILL)  # the pool process dies mid-run; Celery's parent forks a new one
    # The heartbeat stops; after heartbeat_timeout the reaper requeues it (attempt 2 of 2).
    try:
        wait_for(lambda: run(lab, run_id)["attempts"] == 2, 60, what="the run to be retried")
    except AssertionError:
        print(run(lab, run_id), "".join(celery_worker.lines[-60:]))
        raise
    lab.post(f"/api/runs/{run_id}/cancel")
    wait_for(lambda: run(lab, run_id)["status"] == "cancelled", 5, what="the retried run to stop")
    assert celery_worker.proc.poll() is None


def test_a_sweep_fans_out_over_celery_and_is_cached(lab):
    check_sweep(lab)


def test_a_sweep_of_lora_runs_trains_as_one_group_on_a_celery_worker(lab):
    """The worker that takes the first run takes the sweep's other queued runs with it; their own messages, when
    they arrive, find them taken and are skipped."""
    runs = check_grouped_sweep(lab, 4)
    assert len({r["worker"] for r in runs}) == 1 and all(r["attempts"] == 1 for r in runs)


def test_the_distributed_web_process_has_no_torch(pg_url, redis_url, pg_token):
    code = ("import os, sys\nfrom fastapi.testclient import TestClient\nfrom app.main import create_app\n"
            "with TestClient(create_app()) as c:\n"
            "    auth = {'Authorization': 'Bearer ' + os.environ['TEST_TOKEN']}\n"
            "    assert c.post('/api/runs', json={'task_examples': 50}, headers=auth).status_code == 201\n"
            "print(' '.join(sorted(sys.modules)))")
    env = service_env(pg_url, redis_url, FORGETLAB_QUEUE="nobody-listens", TEST_TOKEN=pg_token)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    loaded = {m.split(".")[0] for m in out.stdout.split()}
    assert "celery" in loaded and not loaded & {"torch", "transformers", "peft"}
