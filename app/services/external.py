"""External runs over HTTP: a training process elsewhere (forgetlab.integrations) creates a run owned by its API
token's user, sends its points, and ends it. The rows are core/store/external.py's; this adds the live channel,
so the run page's curves move as the points arrive, as they do for a run the lab trains."""

from __future__ import annotations

from sqlalchemy.orm import Session

from forgetlab.core import external
from forgetlab.core.live import Point, Status
from forgetlab.core.store import external as store
from forgetlab.core.store import runs
from forgetlab.core.store.models import Run, User


def create(session: Session, *, owner: User, tier: str, suites: list[str] | None, source: str, config: dict,
           model: str | None, every: int | None, total_steps: int, name: str | None,
           own_suites: list[str] | None = None) -> Run:
    stored = external.make_config(tier=tier, suites=suites, source=source, args=config, model=model, every=every,
                                  own_suites=own_suites)
    return store.create(session, owner_id=owner.id, config=stored, total_steps=total_steps, name=name)


def add_point(session: Session, *, state, run: Run, step: int, values: dict, items: dict | None) -> None:
    stored = store.add_point(session, run=run, step=step, values=values, items=items)
    prev = runs.step_before(session, run_id=run.id, step=step)
    state.publisher.publish(run.id, Point(step, stored, prev))


def end(session: Session, *, state, run: Run, status: str, error: str | None, eval_seconds: float) -> Run:
    run = store.end(session, run=run, status=status, error=error, eval_seconds=eval_seconds)
    state.publisher.publish(run.id, Status.of(run))
    return run
