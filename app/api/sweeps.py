"""Sweeps: queue a grid of scenarios in one request, follow it, cancel it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request

from forgetlab.app.auth import CurrentUser, MemberUser
from forgetlab.app.deps import ManagedSweepDep, SessionDep, SweepDep
from forgetlab.app.http import invalid
from forgetlab.app.middleware.limits import request_address
from forgetlab.app.services.sweeps import cancel_sweep as cancel_all, submit_sweep
from forgetlab.core.scenario import ScenarioError
from forgetlab.core.store import access, sweeps

from .schemas import SweepCreated, SweepOut, SweepSummary

router = APIRouter(prefix="/sweeps", tags=["sweeps"])
ERRORS = {422: {"description": "Invalid grid: an unknown field, a bad value (and at which combination), "
                               "or more runs than the limit"},
          404: {"description": "Unknown sweep id"}}

SweepBody = Annotated[dict[str, Any], Body(
    description="`grid`: {field: [values]} over any fields of GET /api/scenario; every combination is one run. "
                "The other fields come from `preset` (a name from GET /api/presets) and/or `base` (fields), "
                "else their defaults. At most 48 runs.",
    openapi_examples={"method x lr x mix": {"value": {"preset": "break-it", "grid": {
        "method": ["full", "lora"], "lr": [1e-4, 1e-3], "mix_ratio": [0, 0.2]}}},
        "seeds": {"value": {"base": {"task_examples": 200}, "grid": {"seed": [0, 1, 2]}}}})]



@router.post("", status_code=201, response_model=SweepCreated, responses=ERRORS,
             summary="Queue every combination of a grid; finished runs with the same config and seed are reused")
def create_sweep(request: Request, session: SessionDep, user: MemberUser, spec: SweepBody,
                 queue: Annotated[Literal["cpu", "gpu"] | None, Query(description="Celery queue (distributed)")] = None,
                 reuse: Annotated[bool, Query(description="Reuse finished runs with the same config and seed")] = True):
    """Students and instructors; the sweep and its new runs are theirs."""
    try:
        sweep = submit_sweep(session, state=request.app.state, spec=spec, owner=user, queue=queue, reuse=reuse,
                             address=request_address(request))
    except ScenarioError as e:  # an unknown field, a bad value (and where), too many runs: nothing was queued
        return invalid(e.errors, "invalid sweep")
    rows = sweeps.members(session, sweep_id=sweep.id)
    new = [run.id for run in sweeps.unique_runs(rows) if run.sweep_id == sweep.id]
    return SweepCreated(id=sweep.id, size=sweep.size, new_runs=new, reused=sum(p.reused for p, _ in rows),
                        url=f"/sweeps/{sweep.id}", api=f"/api/sweeps/{sweep.id}", compare=f"/compare?sweep={sweep.id}")


@router.get("", response_model=list[SweepSummary], summary="Sweeps, newest first, with how many runs ended")
def list_sweeps(session: SessionDep, user: CurrentUser, limit: Annotated[int, Query(ge=1, le=200)] = 50):
    """Anyone signed in: the sweeps they may see."""
    return [SweepSummary(id=s.id, title=sweeps.title(s), created_at=s.created_at, size=s.size, done=c["done"],
                         url=f"/sweeps/{s.id}")
            for s, c in sweeps.list_sweeps(session, limit=limit, where=access.sweep_filter(user))]


@router.get("/{sweep_id}", response_model=SweepOut, responses=ERRORS,
            summary="One sweep: progress, each grid point's run and result, and the best run once known")
def get_sweep(sweep: SweepDep, session: SessionDep):
    """Anyone who may see the sweep (SweepDep)."""
    return sweeps.view(session, sweep)


@router.post("/{sweep_id}/cancel", response_model=SweepOut, responses=ERRORS,
             summary="Cancel every run of the sweep that has not ended")
def cancel_sweep(request: Request, sweep: ManagedSweepDep, session: SessionDep):
    """Its owner, or an instructor of their class."""
    cancel_all(session, state=request.app.state, sweep=sweep)
    return sweeps.view(session, sweep)
