"""Actions shared by the JSON API and the HTML pages: submit or cancel a run or a sweep, find a preset."""

from __future__ import annotations

from functools import lru_cache

from fastapi import Request
from sqlalchemy.orm import Session

from core.grid import expand
from core.live import status_message
from core.presets import PRESETS
from core.scenario import Scenario
from core.store import runs, sweeps
from core.store.models import Run, Sweep


@lru_cache
def _preset_hashes() -> dict[str, str]:
    return {p.scenario().canonical_hash(): name for name, p in PRESETS.items()}


def preset_of(scenario: Scenario) -> str | None:
    """The preset this exact scenario is, if any: runs are labelled by content, not by how they were made."""
    return _preset_hashes().get(scenario.canonical_hash())


def submit(request: Request, session: Session, *, scenario: Scenario, queue: str | None = None) -> Run:
    state = request.app.state
    run = runs.create_run(session, scenario=scenario, queue=queue or state.settings.queue,
                          preset=preset_of(scenario))
    state.executor.submit(run.id, run.queue)
    return run


def cancel(request: Request, session: Session, *, run: Run) -> Run:
    """Queued: cancelled at once. Running: flagged, and the executor stops it (kill, or the worker's check)."""
    state = request.app.state
    if run.terminal:
        return run
    status = runs.request_cancel(session, run_id=run.id)
    if status == "cancelled":
        state.publisher.publish(run.id, status_message(runs.get_run(session, run_id=run.id)))
    state.executor.cancel(run.id)
    return runs.get_run(session, run_id=run.id)


def submit_sweep(request: Request, session: Session, *, spec: dict, queue: str | None = None,
                 reuse: bool = True) -> Sweep:
    """Expand the grid (a ScenarioError names the bad field; nothing is stored), store it, enqueue new runs.

    Runs are enqueued in grid order; the executor fans them out over its workers (embedded: as many
    processes as cores, one torch thread each; distributed: every Celery worker on the queue)."""
    scenarios = expand(spec)
    state = request.app.state
    sweep, new = sweeps.create_sweep(session, spec=spec, scenarios=scenarios, queue=queue or state.settings.queue,
                                     preset_of=preset_of, reuse=reuse)
    # Longest first: the last runs to start are then the short ones, so no core idles at the end
    # while one long run finishes alone (grid order is only how the sweep is shown).
    for run in sorted(new, key=lambda r: -r.total_steps):
        state.executor.submit(run.id, run.queue)
    return sweep


def cancel_sweep(request: Request, session: Session, *, sweep: Sweep) -> None:
    """Cancel every grid point that has not ended; reused runs have, so they are never touched."""
    for run in sweeps.unique_runs(sweeps.members(session, sweep_id=sweep.id)):
        if not run.terminal:
            cancel(request, session, run=run)
