"""Runs: submit a scenario, list, read one, its metrics and samples, cancel, share, delete.

Who: students and instructors submit; anyone signed in lists and reads the runs they may see
(RunDep, core/store/access.py); the owner or an instructor of their class cancels, shares and
deletes (ManagedRunDep)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request, Response
from pydantic import BaseModel

from forgetlab.app.auth import CurrentUser, MemberUser
from forgetlab.app.deps import ManagedRunDep, RunDep, SessionDep
from forgetlab.app.middleware.limits import request_address
from forgetlab.app.services import datasets as dataset_service
from forgetlab.app.services import hidden, labels
from forgetlab.app.services import runs as run_service
from forgetlab.app.services import samples as sample_service
from forgetlab.core.ids import MAX_ID
from forgetlab.core.presets import scenario_from
from forgetlab.core.scenario import Scenario
from forgetlab.core.store import access, runs

from .schemas import Metrics, Point, RunCreated, RunList, RunOut, Samples

router = APIRouter(prefix="/runs", tags=["runs"])
ERRORS = {422: {"description": "Invalid input: each bad field with the reason and allowed range"},
          404: {"description": "Unknown run id"}}

ScenarioBody = Annotated[dict[str, Any], Body(
    description="A scenario: any subset of the fields of GET /api/scenario; the rest come from `preset` (a name "
                "from GET /api/presets) when given, else take their defaults.",
    openapi_examples={"tiny": {"value": {"task_examples": 50, "epochs": 1, "eval_every": 2}},
                      "break-it": {"value": {"method": "full", "lr": 0.003, "epochs": 5}},
                      "a preset, one field changed": {"value": {"preset": "fix-it", "seed": 1}}})]


@router.post("", status_code=201, response_model=RunCreated, responses=ERRORS, summary="Queue a run")
def create_run(request: Request, response: Response, session: SessionDep, user: MemberUser, scenario: ScenarioBody,
               queue: Annotated[Literal["cpu", "gpu"] | None, Query(description="Celery queue (distributed)")] = None,
               reuse: Annotated[bool, Query(description="If a finished run has the same config and seed, answer "
                                                        "200 with it instead of training again")] = False):
    """Students and instructors; the run is theirs."""
    # As in a sweep: a preset's fields, then the body's (ScenarioError -> 422 with each field's reason).
    fields = dict(scenario)
    parsed: Scenario = scenario_from(fields.pop("preset", None), None, fields)
    # Off by default: a learner who presses Run wants to watch the curves move, not an old result.
    cached = runs.cached_runs(session, hashes=[parsed.canonical_hash()],
                              queue=queue or request.app.state.settings.queue,
                              where=access.reusable_filter(user)) if reuse else {}
    run = reused = next(iter(cached.values()), None)
    if reused is not None:
        response.status_code = 200
    else:
        run = run_service.submit(session, state=request.app.state, scenario=parsed, owner=user, queue=queue,
                                 address=request_address(request))
    return RunCreated(id=run.id, status=run.status, url=f"/runs/{run.id}", events=f"/api/runs/{run.id}/events",
                      reused=reused is not None)


@router.get("", response_model=RunList, summary="Runs, newest first (or as `sort` says)")
def list_runs(session: SessionDep, user: CurrentUser, limit: Annotated[int, Query(ge=1, le=200)] = 50,
              offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
              status: Annotated[Literal["queued", "running", "succeeded", "failed", "cancelled"] | None,
                                Query()] = None,
              sort: Annotated[Literal[tuple(runs.SORTS)], Query(description="The order; ties newest first")] = "newest"):
    """Anyone signed in: the runs they may see (attempts' hidden settings left out, as in GET /runs/{id})."""
    found = runs.list_runs(session, limit=limit, offset=offset, status=status, sort=sort,
                           where=access.run_filter(user))
    shown = hidden.shown(session, user, found)
    return RunList(runs=named(session, user, shown), limit=limit, offset=offset)


@router.get("/{run_id}", response_model=RunOut, responses=ERRORS, summary="One run: status, config, summary")
def get_run(run: RunDep, session: SessionDep, user: CurrentUser):
    """Anyone who may see the run (RunDep: its owner, an instructor of their class, everyone if shared). An
    attempt's hidden settings are left out, and its config_hash is "hidden", for all but its class's instructor."""
    return named(session, user, [hidden.shown_run(session, user, run)])[0]


def named(session, user, found: list) -> list[RunOut]:
    """The runs as the API shows them, each dataset task's name beside its data:<id>."""
    names = dataset_service.task_names(session, found, user)
    out = [RunOut.model_validate(r) for r in found]
    for run in out:
        run.task_name = names.get(run.id, (None, None))[0]
    return out


@router.get("/{run_id}/metrics", response_model=Metrics, responses=ERRORS,
            summary="Metric points after a step, grouped by step")
def get_metrics(run: RunDep, session: SessionDep, user: CurrentUser,
                after: Annotated[int, Query(ge=-1, le=MAX_ID)] = -1):
    """Anyone who may see the run (RunDep: its owner, an instructor of their class, everyone if shared)."""
    points = runs.points_after(session, run_id=run.id, after=after)
    shown = hidden.shown_run(session, user, run)  # an attempt's points without the scalars that read back settings
    return Metrics(run_id=run.id, points=[Point(step=s, values=hidden.point_values(shown, v)) for s, v in points])


@router.get("/{run_id}/samples", response_model=Samples, responses=ERRORS,
            summary="Latest sample outputs, base model vs now")
def get_samples(run: RunDep, session: SessionDep, user: CurrentUser):
    """Anyone who may see the run (RunDep: its owner, an instructor of their class, everyone if shared); an uploaded
    dataset's or suite's probes only to who may use it (app/services/samples.py)."""
    latest = sample_service.latest(session, run, user)  # an uploaded dataset's or suite's probes: who may use it
    return Samples(run_id=run.id, step=latest.step if latest else None, samples=latest.samples if latest else [])


@router.post("/{run_id}/cancel", response_model=RunOut, responses=ERRORS,
             summary="Cancel: a queued run is removed, a running one stops within a second or two")
def cancel_run(request: Request, run: ManagedRunDep, session: SessionDep):
    """The run's owner, or an instructor of their class. An attempt's run: 409 (attempts are records)."""
    return run_service.cancel(session, state=request.app.state, run=run)


class Sharing(BaseModel):
    shared: bool


@router.post("/{run_id}/share", response_model=RunOut, responses=ERRORS,
             summary="Share a run with everyone signed in, guests included (or stop sharing it)")
def share_run(run: ManagedRunDep, session: SessionDep, user: CurrentUser, body: Sharing):
    """The run's owner, or an instructor of their class."""
    return hidden.shown_run(session, user, runs.set_shared(session, run_id=run.id, shared=body.shared))


@router.delete("/{run_id}", status_code=204, responses=ERRORS,
               summary="Delete an ended run with its points, samples and saved model")
def delete_run(request: Request, run: ManagedRunDep, session: SessionDep):
    """The run's owner, or an instructor of their class. A run still going or held by a sweep: 422 saying why;
    an attempt's run: 409 (attempts are records; its instructor voids the attempt instead)."""
    run_service.delete(session, settings=request.app.state.settings, run=run)
    return Response(status_code=204)


class Labels(BaseModel):
    name: str | None = None
    tags: list[str] | str | None = None
    note: str | None = None


@router.patch("/{run_id}", response_model=RunOut, responses=ERRORS,
              summary="Name, tag and annotate a run (each field given replaces the old; empty clears it)")
def label_run(run: ManagedRunDep, session: SessionDep, user: CurrentUser, body: Labels):
    """The run's owner, or an instructor of their class. A bad field: 422 naming it."""
    given = body.model_dump(exclude_unset=True)
    tags = given.get("tags", runs.tags_of(run))
    labelled = labels.label(session, run=run, name=given.get("name", run.name), tags=tags,
                            note=given.get("note", run.note))
    return hidden.shown_run(session, user, labelled)
