"""Run lifecycle data functions: idempotent points, one claim per run, guarded finishes, the reaper."""

from datetime import timedelta

from sqlalchemy import update

from forgetlab.core.scenario import parse
from forgetlab.core.store import runs
from forgetlab.core.store.models import Run, utcnow

TINY = {"task_examples": 50, "epochs": 1, "eval_every": 2}


def _run(sessions):
    with sessions() as s:
        return runs.create_run(s, scenario=parse(TINY), queue="cpu").id


def test_points_are_idempotent_and_grouped_by_step(sessions):
    run_id = _run(sessions)
    with sessions() as s:
        runs.write_points(s, run_id=run_id, step=0, values={"a": 1.0, "b": 2.0})
        runs.write_points(s, run_id=run_id, step=0, values={"a": 9.0, "b": 9.0})  # a redelivered step
        runs.write_points(s, run_id=run_id, step=2, values={"a": 3.0})
        assert runs.points_after(s, run_id=run_id) == [(0, {"a": 1.0, "b": 2.0}), (2, {"a": 3.0})]
        assert runs.points_after(s, run_id=run_id, after=0) == [(2, {"a": 3.0})]
        assert runs.get_run(s, run_id=run_id).step == 2


def test_a_run_is_claimed_once_and_finished_once(sessions):
    run_id = _run(sessions)
    with sessions() as s:
        assert runs.claim(s, run_id=run_id, worker="w1") == 1
        assert runs.claim(s, run_id=run_id, worker="w2") is None
        assert runs.heartbeat(s, run_id=run_id, attempt=1)
        assert not runs.finish(s, run_id=run_id, status="succeeded", attempt=2)  # not that attempt's to finish
        assert runs.finish(s, run_id=run_id, status="succeeded", attempt=1, summary={"x": 1})
        assert not runs.finish(s, run_id=run_id, status="failed", attempt=1)
        assert runs.get_run(s, run_id=run_id).status == "succeeded"


def test_cancel_removes_queued_and_flags_running(sessions):
    queued, running = _run(sessions), _run(sessions)
    with sessions() as s:
        assert runs.request_cancel(s, run_id=queued) == "cancelled"
        assert runs.claim(s, run_id=queued, worker="w") is None  # a late message finds nothing to do
        runs.claim(s, run_id=running, worker="w")
        assert runs.request_cancel(s, run_id=running) == "running"
        assert not runs.heartbeat(s, run_id=running, attempt=1)  # the worker's cue to stop


def test_reaper_requeues_then_fails_a_silent_run(sessions):
    run_id = _run(sessions)
    stale = utcnow() - timedelta(seconds=120)
    with sessions() as s:
        runs.claim(s, run_id=run_id, worker="host:1")
        s.execute(update(Run).where(Run.id == run_id).values(heartbeat_at=stale))
        s.commit()
        assert runs.reap_stale(s, timeout=30, max_attempts=2) == ([run_id], [])
        assert runs.get_run(s, run_id=run_id).status == "queued"
        assert runs.claim(s, run_id=run_id, worker="host:2") == 2
        s.execute(update(Run).where(Run.id == run_id).values(heartbeat_at=stale))
        s.commit()
        assert runs.reap_stale(s, timeout=30, max_attempts=2) == ([], [run_id])
        run = runs.get_run(s, run_id=run_id)
        assert run.status == "failed" and "stopped sending heartbeats" in run.error
        assert runs.reap_stale(s, timeout=30, max_attempts=2) == ([], [])


def test_a_deleted_runs_id_is_never_given_to_a_new_run(sessions):
    """SQLite reuses the highest id after a delete unless the table has AUTOINCREMENT; a reused id would
    hand the deleted run's files and links to whoever runs next."""
    first, second = _run(sessions), _run(sessions)
    with sessions() as s:
        runs.delete_run(s, run_id=second)
    assert first < second < _run(sessions)
