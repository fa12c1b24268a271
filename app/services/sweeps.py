"""Sweeps: expand a grid, store it and enqueue its new runs; cancel what has not ended."""

from __future__ import annotations

from sqlalchemy.orm import Session

from forgetlab.core import quotas
from forgetlab.core.grid import expand, named_in
from forgetlab.core.scenario import ScenarioError
from forgetlab.core.store import access, sweeps
from forgetlab.core.store.models import Sweep, User

from . import outbox
from .runs import address_peers, cancel, check_datasets, preset_of, quota_lock


def submit_sweep(session: Session, *, state, spec: dict, owner: User, queue: str | None = None,
                 reuse: bool = True, address: str | None = None) -> Sweep:
    """Expand the grid (a ScenarioError names the bad field; nothing is stored), store it, enqueue new runs.

    Runs are enqueued in grid order; the executor fans them out over its workers (embedded: as many
    processes as cores, one torch thread each; distributed: every Celery worker on the queue)."""
    scenarios = expand(spec)
    try:
        check_datasets(session, scenarios, owner)
    except ScenarioError as e:  # named as expand() names its own errors: `base: task` when the base set it
        raise ScenarioError({named_in(spec, k): v for k, v in e.errors.items()}) from None
    limit = state.settings.max_active_runs
    peers = address_peers(session, state=state, owner=owner, address=address)  # runs.submit says why
    with quota_lock(session, owner=owner, limit=limit):  # the count and the sweep's runs: one critical section
        quotas.check_active(session, user=owner, limit=limit, adding=len(scenarios))
        if peers:
            quotas.check_address(session, user_ids=peers, limit=state.settings.max_active_runs_per_address,
                                 adding=len(scenarios))
        sweep, new = sweeps.create_sweep(session, spec=spec, scenarios=scenarios,
                                         queue=queue or state.settings.queue, preset_of=preset_of, reuse=reuse,
                                         owner_id=owner.id, reuse_where=access.reusable_filter(owner))
    # Longest first: the last runs to start are then the short ones, so no core idles at the end
    # while one long run finishes alone (grid order is only how the sweep is shown).
    outbox.send(state, session, sorted(new, key=lambda r: -r.total_steps))
    return sweep


def cancel_sweep(session: Session, *, state, sweep: Sweep) -> None:
    """Cancel every grid point that has not ended; reused runs have, so they are never touched."""
    for run in sweeps.unique_runs(sweeps.members(session, sweep_id=sweep.id)):
        if not run.terminal:
            cancel(session, state=state, run=run)
