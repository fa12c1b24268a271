"""Route dependencies: the request's DB session, and the run, sweep or dataset named in the path (or 404).

Ids are parsed in one place (core.ids), so a path that spells no id answers exactly like an
unknown one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from core.datasets import is_dataset_id
from core.ids import parse_id
from core.store import runs, sweeps
from core.store.datasets import get_dataset
from core.store.models import Run, StoredDataset, Sweep


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, from the app's own factory (create_app may be given other settings)."""
    with request.app.state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def _run(session: Session, text: str) -> Run | None:
    key = parse_id(text)
    return runs.get_run(session, run_id=key) if key is not None else None


def run_from_path(run_id: str, session: SessionDep) -> Run:
    run = _run(session, run_id)
    if run is None:
        raise HTTPException(404, f"no run {run_id}")
    return run


def sweep_from_path(sweep_id: str, session: SessionDep) -> Sweep:
    key = parse_id(sweep_id)
    sweep = sweeps.get_sweep(session, sweep_id=key) if key is not None else None
    if sweep is None:
        raise HTTPException(404, f"no sweep {sweep_id}")
    return sweep


def dataset_from_path(dataset_id: str, session: SessionDep) -> StoredDataset:
    row = get_dataset(session, dataset_id=dataset_id) if is_dataset_id(dataset_id) else None
    if row is None:
        raise HTTPException(404, f"no dataset {dataset_id}")
    return row


def run_from_query(session: Session, text: str | None, field: str) -> Run | None:
    """The run a query parameter names (None when the parameter is absent), or 404 naming the parameter."""
    if text is None:
        return None
    run = _run(session, text)
    if run is None:
        raise HTTPException(404, f"no run {text} ({field})")
    return run


RunDep = Annotated[Run, Depends(run_from_path)]
SweepDep = Annotated[Sweep, Depends(sweep_from_path)]
DatasetDep = Annotated[StoredDataset, Depends(dataset_from_path)]
