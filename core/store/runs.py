"""Data functions over runs, shared by the web app, the Celery worker and the embedded executor.

Every lifecycle change is one guarded UPDATE (`WHERE status = ... AND attempts = ...`), so a
redelivered Celery message, a reaper and a late worker can race without double-running a run
or resurrecting a finished one. Callers publish to the live channel after these commit.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import groupby

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ..scenario import Scenario
from .models import TERMINAL, AssignmentAttempt, MetricPoint, Run, SampleSet, SweepRun, utcnow


def new_run(*, scenario: Scenario, queue: str, preset: str | None = None, sweep_id: int | None = None,
            owner_id: int | None = None) -> Run:
    """A queued run row, not yet added: create_run commits one, a sweep adds many in one transaction."""
    return Run(config=scenario.model_dump(mode="json"), config_hash=scenario.canonical_hash(), preset=preset,
               queue=queue, total_steps=scenario.total_steps, status="queued", step=0, attempts=0,
               cancel_requested=False, created_at=utcnow(), sweep_id=sweep_id, owner_id=owner_id, shared=False)


def create_run(session: Session, *, scenario: Scenario, queue: str, preset: str | None = None,
               owner_id: int | None = None) -> Run:
    run = new_run(scenario=scenario, queue=queue, preset=preset, owner_id=owner_id)
    session.add(run)
    session.commit()
    return run


def cached_runs(session: Session, *, hashes: list[str], queue: str, where=None) -> dict[str, Run]:
    """The newest succeeded run of each config hash on `queue`: the run cache (same config and seed, same result).

    Only succeeded runs count: a failed or cancelled run has no result, and a queued or running one may
    still fail. Only runs of the same queue count: the gpu queue computes under bf16 autocast, the cpu queue in
    float32, and their figures agree only within docs/real-model.md's tolerances, not exactly. `where` limits the
    cache to runs the caller may see (core/store/access.py)."""
    if not hashes:
        return {}
    query = select(Run).where(Run.config_hash.in_(set(hashes)), Run.status == "succeeded", Run.queue == queue)
    rows = session.scalars((query.where(where) if where is not None else query).order_by(Run.id))
    return {run.config_hash: run for run in rows}  # ascending ids: the newest wins


def get_runs(session: Session, *, run_ids: list[int], where=None) -> dict[int, Run]:
    """The runs with these ids (those `where` lets the caller see, when given: core/store/access.py)."""
    query = select(Run).where(Run.id.in_(run_ids))
    return {run.id: run for run in session.scalars(query.where(where) if where is not None else query)}


def get_run(session: Session, *, run_id: int) -> Run | None:
    return session.get(Run, run_id, populate_existing=True)


def list_runs(session: Session, *, limit: int = 50, offset: int = 0, status: str | None = None,
              sort: str = "newest", where=None) -> list[Run]:
    """Newest first, or in another of SORTS' orders; `where` limits them to what the caller may see
    (core/store/access.py)."""
    query = select(Run).order_by(SORTS[sort], Run.id.desc()).limit(limit).offset(offset)
    if where is not None:
        query = query.where(where)
    if status:
        query = query.where(Run.status == status)
    return list(session.scalars(query))


SORTS = {"newest": Run.id.desc(), "oldest": Run.id.asc(), "status": Run.status, "name": Run.name}


def find_runs(session: Session, *, status: str | None = None, preset: str | None = None, task: str | None = None,
              tier: str | None = None, tag: str | None = None, sort: str = "newest", limit: int = 100,
              scan: int = 2000, where=None) -> list[Run]:
    """The runs list's query: status and preset filter in SQL; task, tier and tag live in JSON or a
    comma list, so they filter the newest `scan` rows in Python (the same on SQLite and PostgreSQL).
    `where`: the caller's visibility rule (core/store/access.py)."""
    query = select(Run).order_by(SORTS.get(sort, Run.id.desc()), Run.id.desc()).limit(scan)
    if where is not None:
        query = query.where(where)
    if status:
        query = query.where(Run.status == status)
    if preset:
        query = query.where(Run.preset == preset)
    found = []
    for run in session.scalars(query):
        if task and run.config.get("task") != task or tier and run.config.get("tier", "synthetic") != tier:
            continue
        if tag and tag not in tags_of(run):
            continue
        found.append(run)
        if len(found) >= limit:
            break
    return found


def tags_of(run: Run) -> list[str]:
    return [t for t in (run.tags or "").split(",") if t]


def first_runs(session: Session, *, hashes: list[str], where=None) -> dict[str, int]:
    """The first run (lowest id) of each config hash: a later run with the same hash is a repeat of it.
    `where` limits them to runs the caller may see (core/store/access.py), so "repeat of #N" never names
    a run the caller could not open."""
    if not hashes:
        return {}
    query = select(Run.config_hash, func.min(Run.id)).where(Run.config_hash.in_(set(hashes)))
    rows = session.execute((query.where(where) if where is not None else query).group_by(Run.config_hash))
    return dict(rows.all())


def label_run(session: Session, *, run_id: int, name: str | None, tags: list[str], note: str | None) -> None:
    """Set a run's name, tags and note (None or empty clears them)."""
    session.execute(update(Run).where(Run.id == run_id)
                    .values(name=name or None, tags=",".join(tags) or None, note=note or None))
    session.commit()


def set_parent(session: Session, *, run_id: int, parent_id: int) -> None:
    session.execute(update(Run).where(Run.id == run_id).values(parent_id=parent_id))
    session.commit()


def set_shared(session: Session, *, run_id: int, shared: bool) -> Run:
    """Share a run with everyone signed in, guests included (core/store/access.py), or stop sharing it."""
    session.execute(update(Run).where(Run.id == run_id).values(shared=shared))
    session.commit()
    return get_run(session, run_id=run_id)


def sweeps_of(session: Session, *, run_id: int) -> list[int]:
    return sorted(set(session.scalars(select(SweepRun.sweep_id).where(SweepRun.run_id == run_id))))


def delete_run(session: Session, *, run_id: int) -> None:
    """Remove a finished run and everything measured in it. Callers refuse a run still going or one a
    sweep holds (its grid would lose a point). Child rows are deleted here too: SQLite does not
    enforce ON DELETE CASCADE unless its foreign keys are switched on."""
    session.execute(delete(MetricPoint).where(MetricPoint.run_id == run_id))
    session.execute(delete(SampleSet).where(SampleSet.run_id == run_id))
    session.execute(delete(Run).where(Run.id == run_id))
    session.commit()


def lowest(session: Session, *, run_id: int, key: str) -> float | None:
    """The smallest value a metric took over a run (the validation loss's minimum, say)."""
    return session.scalar(select(func.min(MetricPoint.value)).where(MetricPoint.run_id == run_id,
                                                                   MetricPoint.key == key))


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


def step_before(session: Session, *, run_id: int, step: int) -> int:
    """The last stored step below `step` (-1 if none): a live point carries it, so a viewer sees a gap."""
    found = session.scalar(select(func.max(MetricPoint.step)).where(MetricPoint.run_id == run_id,
                                                                     MetricPoint.step < step))
    return -1 if found is None else found


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
           summary: dict | None = None, private_summary: dict | None = None) -> bool:
    """running (or queued) -> a terminal status, once; returns whether this call made the change.
    `private_summary`: a held-out split's private part (core/holdout.py), kept apart from the summary."""
    assert status in TERMINAL
    query = update(Run).where(Run.id == run_id, Run.status.in_(("queued", "running")))
    if attempt is not None:
        query = query.where(Run.attempts == attempt)
    values = {"status": status, "finished_at": utcnow(), "error": error}
    if summary is not None:
        values["summary"] = summary
    if private_summary is not None:
        values["private_summary"] = private_summary
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
    # An external run's heartbeat is its owner's training process; the lab has nothing to retry it with.
    stale = list(session.scalars(select(Run).where(Run.status == "running", Run.heartbeat_at < cutoff,
                                                   Run.external.is_(False))))
    requeued, failed = [], []
    for run in stale:
        guard = update(Run).where(Run.id == run.id, Run.status == "running", Run.attempts == run.attempts)
        if run.attempts < max_attempts and not run.cancel_requested:
            result = session.execute(guard.values(status="queued", worker=None, sent_at=None,
                                                  error=f"worker {run.worker} stopped responding; retrying"))
            (requeued if result.rowcount else []).append(run.id)
        else:
            reason = (f"the worker running it ({run.worker}) stopped sending heartbeats for over {timeout:g} s "
                      f"(attempt {run.attempts} of {max_attempts}); it probably crashed or ran out of memory")
            result = session.execute(guard.values(status="failed", finished_at=utcnow(), error=reason))
            (failed if result.rowcount else []).append(run.id)
    session.commit()
    return requeued, failed


# --- the outbox: a queued run's message is sent after its row commits, and again if it was lost --------


def mark_sent(session: Session, *, run_ids: list[int]) -> None:
    """The executor accepted these runs' messages (only still-queued rows are marked)."""
    if run_ids:
        session.execute(update(Run).where(Run.id.in_(run_ids), Run.status == "queued").values(sent_at=utcnow()))
        session.commit()


def to_send(session: Session, *, settle: float, stale: float, limit: int = 500) -> tuple[list[Run], list[Run]]:
    """Queued runs to (re)send: (never sent, sent over `stale` seconds ago and still unclaimed).

    Rows younger than `settle` seconds are left to the request that created them, which sends them itself."""
    now = utcnow()
    queued = select(Run).where(Run.status == "queued").order_by(Run.id).limit(limit)
    unsent = list(session.scalars(queued.where(Run.sent_at.is_(None),
                                               Run.created_at < now - timedelta(seconds=settle))))
    stale_rows = list(session.scalars(queued.where(Run.sent_at < now - timedelta(seconds=stale))))
    return unsent, stale_rows


def retry_or_fail(session: Session, *, run_id: int, max_attempts: int, reason: str) -> str | None:
    """A running run whose worker is gone: back to queued while attempts remain (it resumes from its
    last checkpoint), else failed with the reason. Returns the new status, or None if it was not running."""
    run = get_run(session, run_id=run_id)
    if run is None or run.status != "running" or run.external:  # an external run is its owner's process's
        return None
    guard = update(Run).where(Run.id == run.id, Run.status == "running", Run.attempts == run.attempts)
    if run.attempts < max_attempts and not run.cancel_requested:
        result = session.execute(guard.values(status="queued", worker=None, sent_at=None,
                                              error=f"{reason}; retrying from its last checkpoint"))
        status = "queued"
    else:
        result = session.execute(guard.values(status="failed", finished_at=utcnow(),
                                              error=f"{reason} (attempt {run.attempts} of {max_attempts})"))
        status = "failed"
    session.commit()
    return status if result.rowcount else None


def requeue_interrupted(session: Session, *, max_attempts: int, reason: str) -> tuple[list[int], list[int]]:
    """Runs left `running` by a server that stopped: retried while attempts remain, else failed.
    Returns (requeued, failed). Only for the embedded mode, where no other process can hold a run."""
    requeued, failed = [], []
    for run in runs_with_status(session, statuses=("running",)):
        status = retry_or_fail(session, run_id=run.id, max_attempts=max_attempts, reason=reason)
        if status == "queued":
            requeued.append(run.id)
        elif status == "failed":
            failed.append(run.id)
    return requeued, failed


def cancel_all_queued(session: Session, *, owner_id: int | None, run_ids: list[int] | None = None) -> list[int]:
    """Cancel one owner's queued runs in one statement: those of `run_ids`, or all of them when None.
    Returns the ids it cancelled (a run a worker claimed meanwhile is not among them). An attempt's run is
    never among them: attempts are records (app/services/runs.py)."""
    query = select(Run.id).where(Run.status == "queued", Run.owner_id == owner_id,
                                 Run.id.not_in(select(AssignmentAttempt.run_id)))
    if run_ids is not None:
        query = query.where(Run.id.in_(run_ids))
    ids = list(session.scalars(query))
    if not ids:
        return []
    result = session.execute(update(Run).where(Run.id.in_(ids), Run.status == "queued")
                             .values(status="cancelled", finished_at=utcnow())
                             .returning(Run.id))
    done = list(result.scalars())
    session.commit()
    return done
