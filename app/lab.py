"""Actions shared by the JSON API and the HTML pages: submit a run, cancel a run, find a preset."""

from __future__ import annotations

from functools import lru_cache

from fastapi import Request
from sqlalchemy.orm import Session

from worker.engine.presets import PRESETS
from worker.engine.scenario import Scenario

from . import runs
from .live import status_message
from .models import Run


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
