"""Shared route dependencies: the run named in the path, or 404 (also for ids that are not numbers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException

from .. import runs
from ..db import SessionDep
from ..models import Run


def run_from_path(run_id: str, session: SessionDep) -> Run:
    run = runs.get_run(session, run_id=int(run_id)) if run_id.isdigit() and len(run_id) < 12 else None
    if run is None:
        raise HTTPException(404, f"no run {run_id}")
    return run


RunDep = Annotated[Run, Depends(run_from_path)]
