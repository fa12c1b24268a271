"""A run killed rather than ended by its own job leaves no checkpoint file behind (core/checkpoints.py):
cancelled while queued (one run, or all of one's queued runs), ended by the embedded pool (cancel of a
running run, time limit), failed by the reaper, and whatever else the reconciler's sweep finds. A run that
may still resume keeps its file."""

import time

import pytest
from fastapi.testclient import TestClient

from forgetlab.app.executors.local import LocalExecutor, _Child
from forgetlab.app.main import reap_once, sweep_checkpoints
from forgetlab.core import checkpoints
from forgetlab.core.live import NullPublisher
from forgetlab.core.scenario import Scenario
from forgetlab.core.settings import Settings
from forgetlab.core.store import runs
from forgetlab.core.store.db import migrate

SMALL = Scenario(task_examples=50, epochs=1)


@pytest.fixture
def settings(tmp_path) -> Settings:
    """The app tests' lab, with its reconciler asleep after its first round: only the path under test may
    delete a file (the sweep is tested on its own, last)."""
    s = Settings(data_dir=tmp_path, workers=0, database_url=None, redis_url=None, outbox_seconds=3600)
    migrate(s.sqlalchemy_url)
    return s


def with_checkpoint(sessions, data_dir, *, running: bool = False) -> int:
    """A run (a retry that checkpointed before), queued or claimed by a worker, and its checkpoint file."""
    with sessions() as session:
        run = runs.create_run(session, scenario=SMALL, queue="cpu")
        if running:
            runs.claim(session, run_id=run.id, worker="gone:1")
    path = checkpoints.path(data_dir, run.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"state")
    return run.id


def has_checkpoint(data_dir, run_id: int) -> bool:
    return checkpoints.path(data_dir, run_id).exists()


def test_cancelling_a_queued_run_deletes_its_checkpoint(client, settings, sessions):
    cancelled, kept = with_checkpoint(sessions, settings.data_dir), with_checkpoint(sessions, settings.data_dir)
    assert client.post(f"/api/runs/{cancelled}/cancel").json()["status"] == "cancelled"
    assert not has_checkpoint(settings.data_dir, cancelled)
    assert has_checkpoint(settings.data_dir, kept)  # still queued: it resumes from it


def test_cancelling_all_queued_runs_deletes_their_checkpoints(client, settings, sessions):
    from forgetlab.core.store import accounts

    with sessions() as session:
        local = accounts.local_user(session)
    made = [with_checkpoint(sessions, settings.data_dir) for _ in range(2)]
    with sessions() as session:
        for run_id in made:
            session.get(runs.Run, run_id).owner_id = local.id
        session.commit()
    assert client.post("/api/runs/cancel-queued").json()["cancelled"] == made
    assert not any(has_checkpoint(settings.data_dir, run_id) for run_id in made)


class KilledProcess:
    returncode = -9

    def wait(self, timeout=None):
        return -9

    def kill(self):
        self.killed = True


def test_the_embedded_pool_deletes_the_checkpoint_of_a_run_it_kills(settings, sessions):
    pool = LocalExecutor(settings, sessions, NullPublisher())
    run_id = with_checkpoint(sessions, settings.data_dir, running=True)
    child = _Child(KilledProcess(), None, ready=True, run_id=run_id, group=[run_id])  # it trains this run alone
    pool.children.append(child)
    with sessions() as session:
        runs.request_cancel(session, run_id=run_id)
    pool.cancel(run_id)  # what the cancel button does to a running run: end it, kill its process
    assert child.process.killed
    with sessions() as session:
        assert runs.get_run(session, run_id=run_id).status == "cancelled"
    assert not has_checkpoint(settings.data_dir, run_id)


def reaping_lab(tmp_path, max_attempts: int):
    settings = Settings(data_dir=tmp_path, workers=0, database_url=None, redis_url=None,
                        heartbeat_timeout=0.05, reap_seconds=3600, outbox_seconds=3600, max_attempts=max_attempts)
    migrate(settings.sqlalchemy_url)
    from forgetlab.app.main import create_app

    return settings, create_app(settings)


def test_the_reaper_deletes_the_checkpoint_of_a_run_it_fails_and_keeps_a_retrys(tmp_path):
    settings, app = reaping_lab(tmp_path, max_attempts=1)
    with TestClient(app):
        failed = with_checkpoint(app.state.sessions, settings.data_dir, running=True)
        time.sleep(0.1)  # its heartbeat is now stale
        reap_once(app)
        with app.state.sessions() as session:
            assert runs.get_run(session, run_id=failed).status == "failed"
        assert not has_checkpoint(settings.data_dir, failed)

    settings, app = reaping_lab(tmp_path / "retry", max_attempts=2)
    with TestClient(app):
        retried = with_checkpoint(app.state.sessions, settings.data_dir, running=True)
        time.sleep(0.1)
        reap_once(app)
        with app.state.sessions() as session:
            assert runs.get_run(session, run_id=retried).status == "queued"
        assert has_checkpoint(settings.data_dir, retried)  # the retry resumes from it


def test_the_reconciler_sweeps_files_of_runs_that_ended_any_other_way(client, settings, sessions):
    ended, waiting = with_checkpoint(sessions, settings.data_dir), with_checkpoint(sessions, settings.data_dir)
    with sessions() as session:  # e.g. a Celery hard time limit: the worker died, another process failed it
        runs.finish(session, run_id=ended, status="failed", error="time limit")
    assert sweep_checkpoints(client.app) == [ended]
    assert not has_checkpoint(settings.data_dir, ended) and has_checkpoint(settings.data_dir, waiting)
