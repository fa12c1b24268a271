"""External runs in the store: create one for its owner, append its points, end it (core/external.py checks
what they hold). The HTTP API (app/services/external.py) and a training process writing a local lab database
(forgetlab.integrations) both come through here, so the two store the same rows.

An external run is `running` from its creation: the lab never queues, claims, retries or reaps it. The base's
per-probe items and the newest later point's wait in `info` until the run ends and its summary holds them.
"""

from __future__ import annotations

import secrets

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from .. import external
from ..errors import Invalid
from . import runs
from .models import MetricPoint, Run, utcnow


def create(session: Session, *, owner_id: int | None, config: dict, total_steps: int = 0,
           name: str | None = None) -> Run:
    """A new external run, running, owned by `owner_id`. Its config hash is random: two external runs with
    the same arguments may have trained on different data, so neither is a repeat of the other."""
    now = utcnow()
    run = Run(config=config, config_hash="x" + secrets.token_hex(15), preset=None, queue="external",
              total_steps=max(0, total_steps), status="running", step=0, attempts=1, cancel_requested=False,
              created_at=now, started_at=now, heartbeat_at=now, worker="external", owner_id=owner_id,
              shared=False, name=name or None, external=True)
    session.add(run)
    session.commit()
    return run


def _writable(run: Run) -> None:
    if not run.external:
        raise Invalid(f"run {run.id} was trained by the lab; only external runs take points", "run")
    if run.terminal:
        raise Invalid(f"run {run.id} has ended ({run.status}); start a new run", "run")


def add_point(session: Session, *, run: Run, step: int, values: dict, items: dict | None = None) -> dict[str, float]:
    """Store one point and its items; returns the values stored. A step sent again replaces the first: the
    final point, measured on the full suites, may fall on a step already measured on the quicker subset."""
    _writable(run)
    values, items = external.check_point(run.config, step, values, items)
    session.execute(delete(MetricPoint).where(MetricPoint.run_id == run.id, MetricPoint.step == step))
    runs.write_points(session, run_id=run.id, step=step, values=values)
    if items is not None:
        runs.update_info(session, run_id=run.id, **{"baseline_items" if step == 0 else "final_items": items})
    session.execute(update(Run).where(Run.id == run.id).values(heartbeat_at=utcnow()))
    session.commit()
    return values


def end(session: Session, *, run: Run, status: str, error: str | None = None, eval_seconds: float = 0.0) -> Run:
    """succeeded (its summary built from the stored points and items), failed or cancelled."""
    _writable(run)
    if status not in ("succeeded", "failed", "cancelled"):
        raise Invalid("status is succeeded, failed or cancelled", "status")
    summary = None
    if status == "succeeded":
        info = run.info or {}
        summary = external.summarize(run.config, runs.points_after(session, run_id=run.id),
                                     info.get("baseline_items"), info.get("final_items"), eval_seconds)
    runs.finish(session, run_id=run.id, status=status, error=(error or "")[:2000] or None, summary=summary)
    if summary is not None:  # the items now live in the summary
        session.execute(update(Run).where(Run.id == run.id).values(
            info={k: v for k, v in (run.info or {}).items() if k not in ("baseline_items", "final_items")}))
        session.commit()
    return runs.get_run(session, run_id=run.id)
