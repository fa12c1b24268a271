"""Route dependencies: the request's DB session, and the run, sweep or dataset named in the path (or 404).

Ids are parsed in one place (core.ids), so a path that spells no id answers exactly like an
unknown one. Ownership is checked here and only here (rules: core/store/access.py): a run, sweep or
dataset the user may not see is a 404, exactly like an unknown one (it does not say it exists);
one they see but may not manage (ManagedRunDep, ManagedSweepDep) is a 403. Each of these carries the
policy "signed-in" (app/auth/policy.py), and the managed ones "member".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from forgetlab.app.auth import CurrentUser, MemberUser
from forgetlab.core.datasets import is_dataset_id
from forgetlab.core.ids import parse_id
from forgetlab.core.store import access, runs, sweeps
from forgetlab.core.store.datasets import get_dataset
from forgetlab.core.store.models import Run, StoredDataset, Sweep, User


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, from the app's own factory (create_app may be given other settings)."""
    with request.app.state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def _run(session: Session, text: str, user: User | None) -> Run | None:
    """The run this id names, if `user` may see it."""
    key = parse_id(text)
    run = runs.get_run(session, run_id=key) if key is not None else None
    return run if run is not None and access.can_view_run(session, user, run) else None


def run_from_path(run_id: str, session: SessionDep, user: CurrentUser) -> Run:
    run = _run(session, run_id, user)
    if run is None:
        raise HTTPException(404, f"no run {run_id}")
    return run


def managed_run(run: Annotated[Run, Depends(run_from_path)], session: SessionDep, user: MemberUser) -> Run:
    """A run the user may cancel, delete or share: its owner's, or one an instructor manages."""
    if not access.can_manage_run(session, user, run):
        raise HTTPException(403, f"only the owner of run {run.id} or an instructor of their class may change it")
    return run


def sweep_from_path(sweep_id: str, session: SessionDep, user: CurrentUser) -> Sweep:
    key = parse_id(sweep_id)
    sweep = sweeps.get_sweep(session, sweep_id=key) if key is not None else None
    if sweep is None or not access.can_view_sweep(session, user, sweep):
        raise HTTPException(404, f"no sweep {sweep_id}")
    return sweep


def managed_sweep(sweep: Annotated[Sweep, Depends(sweep_from_path)], session: SessionDep, user: MemberUser) -> Sweep:
    if not access.can_manage_sweep(session, user, sweep):
        raise HTTPException(403, f"only the owner of sweep {sweep.id} or an instructor of their class may change it")
    return sweep


def dataset_from_path(dataset_id: str, session: SessionDep, user: CurrentUser) -> StoredDataset:
    row = get_dataset(session, dataset_id=dataset_id) if is_dataset_id(dataset_id) else None
    if row is None or not access.can_view_dataset(session, user, row):
        raise HTTPException(404, f"no dataset {dataset_id}")
    return row


def run_from_query(session: Session, text: str | None, field: str, *, user: User) -> Run | None:
    """The run a query parameter names (None when the parameter is absent), or 404 naming the parameter
    (also for a run `user` may not see)."""
    if text is None:
        return None
    run = _run(session, text, user)
    if run is None:
        raise HTTPException(404, f"no run {text} ({field})")
    return run


RunDep = Annotated[Run, Depends(run_from_path)]  # visible to the user, else 404
ManagedRunDep = Annotated[Run, Depends(managed_run)]  # and managed by them, else 403
SweepDep = Annotated[Sweep, Depends(sweep_from_path)]
ManagedSweepDep = Annotated[Sweep, Depends(managed_sweep)]
DatasetDep = Annotated[StoredDataset, Depends(dataset_from_path)]
