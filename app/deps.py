"""Route dependencies: the request's DB session, and the run or sweep named in the path (or 404).

Ids are parsed in one place (core.ids), so a path that spells no id answers exactly like an
unknown one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from core.ids import parse_id
from core.store import runs, sweeps
from core.store.models import Run, Sweep


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, from the app's own factory (create_app may be given other settings)."""
    with request.app.state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def run_from_path(run_id: str, session: SessionDep) -> Run:
    key = parse_id(run_id)
    run = runs.get_run(session, run_id=key) if key is not None else None
    if run is None:
        raise HTTPException(404, f"no run {run_id}")
    return run


def sweep_from_path(sweep_id: str, session: SessionDep) -> Sweep:
    key = parse_id(sweep_id)
    sweep = sweeps.get_sweep(session, sweep_id=key) if key is not None else None
    if sweep is None:
        raise HTTPException(404, f"no sweep {sweep_id}")
    return sweep


RunDep = Annotated[Run, Depends(run_from_path)]
SweepDep = Annotated[Sweep, Depends(sweep_from_path)]
