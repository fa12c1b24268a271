"""Runs: submit a scenario, list, read one, its metrics and samples, cancel."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request, Response

from app.deps import RunDep, SessionDep
from core.scenario import Scenario, parse
from core.store import runs

from .. import lab
from .schemas import Metrics, Point, RunCreated, RunList, RunOut, Samples

router = APIRouter(prefix="/runs", tags=["runs"])
ERRORS = {422: {"description": "Invalid input: each bad field with the reason and allowed range"},
          404: {"description": "Unknown run id"}}

ScenarioBody = Annotated[dict[str, Any], Body(
    description="A scenario: any subset of the fields of GET /api/scenario; the rest take their defaults.",
    openapi_examples={"tiny": {"value": {"task_examples": 50, "epochs": 1, "eval_every": 2}},
                      "break-it": {"value": {"method": "full", "lr": 0.003, "epochs": 5}}})]


@router.post("", status_code=201, response_model=RunCreated, responses=ERRORS, summary="Queue a run")
def create_run(request: Request, response: Response, session: SessionDep, scenario: ScenarioBody,
               queue: Annotated[Literal["cpu", "gpu"] | None, Query(description="Celery queue (distributed)")] = None,
               reuse: Annotated[bool, Query(description="If a finished run has the same config and seed, answer "
                                                        "200 with it instead of training again")] = False):
    parsed: Scenario = parse(scenario)  # ScenarioError -> 422 with each field's reason
    # Off by default: a learner who presses Run wants to watch the curves move, not an old result.
    cached = runs.cached_runs(session, hashes=[parsed.canonical_hash()]) if reuse else {}
    run = reused = next(iter(cached.values()), None)
    if reused is not None:
        response.status_code = 200
    else:
        run = lab.submit(request, session, scenario=parsed, queue=queue)
    return RunCreated(id=run.id, status=run.status, url=f"/runs/{run.id}", events=f"/api/runs/{run.id}/events",
                      reused=reused is not None)


@router.get("", response_model=RunList, summary="Runs, newest first")
def list_runs(session: SessionDep, limit: Annotated[int, Query(ge=1, le=200)] = 50,
              offset: Annotated[int, Query(ge=0)] = 0,
              status: Annotated[Literal["queued", "running", "succeeded", "failed", "cancelled"] | None,
                                Query()] = None):
    return RunList(runs=runs.list_runs(session, limit=limit, offset=offset, status=status), limit=limit,
                   offset=offset)


@router.get("/{run_id}", response_model=RunOut, responses=ERRORS, summary="One run: status, config, summary")
def get_run(run: RunDep):
    return run


@router.get("/{run_id}/metrics", response_model=Metrics, responses=ERRORS,
            summary="Metric points after a step, grouped by step")
def get_metrics(run: RunDep, session: SessionDep, after: Annotated[int, Query(ge=-1)] = -1):
    points = runs.points_after(session, run_id=run.id, after=after)
    return Metrics(run_id=run.id, points=[Point(step=s, values=v) for s, v in points])


@router.get("/{run_id}/samples", response_model=Samples, responses=ERRORS,
            summary="Latest sample outputs, base model vs now")
def get_samples(run: RunDep, session: SessionDep):
    latest = runs.latest_samples(session, run_id=run.id)
    return Samples(run_id=run.id, step=latest.step if latest else None, samples=latest.samples if latest else [])


@router.post("/{run_id}/cancel", response_model=RunOut, responses=ERRORS,
             summary="Cancel: a queued run is removed, a running one stops within a second or two")
def cancel_run(request: Request, run: RunDep, session: SessionDep):
    return lab.cancel(request, session, run=run)

