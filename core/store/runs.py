"""Data functions over runs, shared by the web app, the Celery worker and the embedded executor.

Every lifecycle change is one guarded UPDATE (`WHERE status = ... AND attempts = ...`), so a
redelivered Celery message, a reaper and a late worker can race without double-running a run
or resurrecting a finished one. Callers publish to the live channel after these commit.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import groupby

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..scenario import Scenario
from .models import TERMINAL, MetricPoint, Run, SampleSet, utcnow


def new_run(*, scenario: Scenario, queue: str, preset: str | None = None, sweep_id: int | None = None) -> Run:
    """A queued run row, not yet added: create_run commits one, a sweep adds many in one transaction."""
    return Run(config=scenario.model_dump(mode="json"), config_hash=scenario.canonical_hash(), preset=preset,
               queue=queue, total_steps=scenario.total_steps, status="queued", step=0, attempts=0,
               cancel_requested=False, created_at=utcnow(), sweep_id=sweep_id)


def create_run(session: Session, *, scenario: Scenario, queue: str, preset: str | None = None) -> Run:
    run = new_run(scenario=scenario, queue=queue, preset=preset)
    session.add(run)
    session.commit()
    return run


def cached_runs(session: Session, *, hashes: list[str]) -> dict[str, Run]:
    """The newest succeeded run of each config hash: the run cache (same config and seed, same result).

    Only succeeded runs count: a failed or cancelled run has no result, and a queued or running one may
    still fail."""
    if not hashes:
        return {}
    rows = session.scalars(select(Run).where(Run.config_hash.in_(set(hashes)), Run.status == "succeeded")
                           .order_by(Run.id))
    return {run.config_hash: run for run in rows}  # ascending ids: the newest wins


def get_runs(session: Session, *, run_ids: list[int]) -> dict[int, Run]:
    return {run.id: run for run in session.scalars(select(Run).where(Run.id.in_(run_ids)))}


def get_run(session: Session, *, run_id: int) -> Run | None:
    return session.get(Run, run_id, populate_existing=True)


def list_runs(session: Session, *, limit: int = 50, offset: int = 0, status: str | None = None) -> list[Run]:
    query = select(Run).order_by(Run.id.desc()).limit(limit).offset(offset)
    if status:
        query = query.where(Run.status == status)
    return list(session.scalars(query))


def runs_with_status(session: Session, *, statuses: tuple[str, ...]) -> list[Run]:
    return list(session.scalars(select(Run).where(Run.status.in_(statuses)).order_by(Run.id)))


def points_after(session: Session, *, run_id: int, after: int = -1) -> list[tuple[int, dict[str, float]]]:
    """Metric points with step > after, grouped per step in step order: what SSE replays."""
    rows = session.execute(select(MetricPoint.step, MetricPoint.key, MetricPoint.value)
                           .where(MetricPoint.run_id == run_id, MetricPoint.step > after)
                           .order_by(MetricPoint.step, MetricPoint.key)).all()
    return [(step, {key: value for _, key, value in group}) for step, group in groupby(rows, key=lambda r: r[0])]


def step_values(session: Session, *, run_id: int, step: int) -> dict[str, float]:
    """Every value of one step; step 0 is the base model's level."""
    rows = session.execute(select(MetricPoint.key, MetricPoint.value)
                           .where(MetricPoint.run_id == run_id, MetricPoint.step == step)).all()
    return dict(rows)


def max_step(session: Session, *, run_id: int) -> int:
    return session.scalar(select(func.max(MetricPoint.step)).where(MetricPoint.run_id == run_id)) or -1


def latest_samples(session: Session, *, run_id: int) -> SampleSet | None:
    return session.scalars(select(SampleSet).where(SampleSet.run_id == run_id)
                           .order_by(SampleSet.step.desc()).limit(1)).first()


def _insert_ignore(session: Session, model, rows: list[dict]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on both dialects: re-sending a step changes nothing."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(model).values(rows).on_conflict_do_nothing())


def write_points(session: Session, *, run_id: int, step: int, values: dict[str, float]) -> None:
    """One batch: every value of one evaluation step, in one statement and one transaction."""
    _insert_ignore(session, MetricPoint, [{"run_id": run_id, "step": step, "key": k, "value": float(v)}
                                          for k, v in values.items()])
    session.execute(update(Run).where(Run.id == run_id, Run.step < step).values(step=step))
    session.commit()


def write_samples(session: Session, *, run_id: int, step: int, samples: list[dict]) -> None:
    _insert_ignore(session, SampleSet, [{"run_id": run_id, "step": step, "samples": samples}])
    session.execute(update(Run).where(Run.id == run_id).values(samples_step=step))
    session.commit()


def update_info(session: Session, *, run_id: int, **info) -> None:
    run = session.get(Run, run_id, populate_existing=True)
    run.info = {**(run.info or {}), **info}
    session.commit()


def claim(session: Session, *, run_id: int, worker: str) -> int | None:
    """queued -> running for one worker; returns the attempt number, or None if someone else has it."""
    now = utcnow()
    result = session.execute(update(Run).where(Run.id == run_id, Run.status == "queued")
                             .values(status="running", attempts=Run.attempts + 1, worker=worker,
                                     started_at=now, heartbeat_at=now, error=None))
    session.commit()
    if result.rowcount != 1:
        return None
    return session.scalar(select(Run.attempts).where(Run.id == run_id))


def heartbeat(session: Session, *, run_id: int, attempt: int) -> bool:
    """Record that the worker lives; False means stop now (cancel asked, or the run is no longer ours)."""
    result = session.execute(update(Run).where(Run.id == run_id, Run.status == "running", Run.attempts == attempt,
                                               Run.cancel_requested.is_(False))
                             .values(heartbeat_at=utcnow()))
    session.commit()
    return result.rowcount == 1


def finish(session: Session, *, run_id: int, status: str, attempt: int | None = None, error: str | None = None,
           summary: dict | None = None) -> bool:
    """running (or queued) -> a terminal status, once; returns whether this call made the change."""
    assert status in TERMINAL
    query = update(Run).where(Run.id == run_id, Run.status.in_(("queued", "running")))
    if attempt is not None:
        query = query.where(Run.attempts == attempt)
    values = {"status": status, "finished_at": utcnow(), "error": error}
    if summary is not None:
        values["summary"] = summary
    result = session.execute(query.values(**values))
    session.commit()
    return result.rowcount == 1


def request_cancel(session: Session, *, run_id: int) -> str:
    """A queued run is cancelled at once; a running one is flagged for its worker. Returns the status now."""
    if cancel_queued(session, run_id=run_id):
        return "cancelled"
    session.execute(update(Run).where(Run.id == run_id, Run.status == "running").values(cancel_requested=True))
    session.commit()
    return _status(session, run_id)


def cancel_queued(session: Session, *, run_id: int) -> bool:
    result = session.execute(update(Run).where(Run.id == run_id, Run.status == "queued")
                             .values(status="cancelled", finished_at=utcnow()))
    session.commit()
    return result.rowcount == 1


def _status(session: Session, run_id: int) -> str:
    return session.scalar(select(Run.status).where(Run.id == run_id))


def reap_stale(session: Session, *, timeout: float, max_attempts: int) -> tuple[list[int], list[int]]:
    """Runs whose heartbeat stopped: back to queued while attempts remain, else failed. Returns (requeued, failed)."""
    cutoff = utcnow() - timedelta(seconds=timeout)
    stale = list(session.scalars(select(Run).where(Run.status == "running", Run.heartbeat_at < cutoff)))
    requeued, failed = [], []
    for run in stale:
        guard = update(Run).where(Run.id == run.id, Run.status == "running", Run.attempts == run.attempts)
        if run.attempts < max_attempts and not run.cancel_requested:
            result = session.execute(guard.values(status="queued", worker=None,
                                                  error=f"worker {run.worker} stopped responding; retrying"))
            (requeued if result.rowcount else []).append(run.id)
        else:
            reason = (f"the worker running it ({run.worker}) stopped sending heartbeats for over {timeout:g} s "
                      f"(attempt {run.attempts} of {max_attempts}); it probably crashed or ran out of memory")
            result = session.execute(guard.values(status="failed", finished_at=utcnow(), error=reason))
            (failed if result.rowcount else []).append(run.id)
    session.commit()
    return requeued, failed
