"""External runs: fine-tuning that happens elsewhere (a Trainer callback, forgetlab.watch) streams its measured
points into the lab as a run; the run page, compare, the exports and the gate then read it as any run.

Who: students and instructors create one (it is theirs, as a run they submit); only its owner sends its points
and ends it (an instructor of their class may still read, cancel or delete it, as any run of theirs)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from forgetlab.app.auth import MemberUser
from forgetlab.app.deps import OwnedRunDep, SessionDep
from forgetlab.app.services import external

from .schemas import RunCreated, RunOut

router = APIRouter(prefix="/external-runs", tags=["external runs"])
ERRORS = {422: {"description": "Invalid input: the field at fault and why (an unknown suite, a bad value, a run "
                               "that has ended)"},
          404: {"description": "Unknown run id"}, 403: {"description": "Not the run's owner"}}


class ExternalRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str = Field("forgetlab.watch", description="What trains: transformers.Trainer, trl.SFTTrainer, ...")
    tier: str = Field("smollm2", description="Whose capability suites measure the model (GET /api/tiers)")
    suites: list[str] | None = Field(None, description="Which of the tier's capabilities (default: all)",
                                     max_length=50)
    own_suites: list[str] | None = Field(None, max_length=8, description="Names of your own suites it measures too "
                                                                     "(their items stay with the trainer)")
    config: dict[str, Any] = Field(default_factory=dict, description="The trainer's arguments, as JSON")
    model: str | None = Field(None, max_length=300, description="The model's name or path, for people")
    every: int | None = Field(None, ge=1, le=1_000_000, description="Steps between measured points")
    total_steps: int = Field(0, ge=0, le=100_000_000, description="Planned optimizer steps (0: unknown)")
    name: str | None = Field(None, max_length=120, description="The run's name")


class PointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: int = Field(ge=0, le=10_000_000, description="Optimizer steps done; 0 is the base before training")
    values: dict[str, float] = Field(description="cap.<suite>.accuracy | .nll, train_loss, lr, epoch, seconds, ...")
    items: dict[str, list[tuple[bool, float]]] | None = Field(
        None, description="Per probe [passed, reference NLL] of each suite: at the base point and the last point, "
                          "for the gate")


class EndIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["succeeded", "failed", "cancelled"]
    error: str | None = Field(None, max_length=2000)
    eval_seconds: float = Field(0.0, ge=0.0, le=1e9, description="Seconds spent measuring, of the run's time")


@router.post("", status_code=201, response_model=RunCreated, responses=ERRORS, summary="Start an external run")
def create(session: SessionDep, user: MemberUser, body: ExternalRunIn):
    """Students and instructors; the run is theirs, and running until they end it."""
    run = external.create(session, owner=user, tier=body.tier, suites=body.suites, source=body.source,
                          config=body.config, model=body.model, every=body.every, total_steps=body.total_steps,
                          name=body.name, own_suites=body.own_suites)
    return RunCreated(id=run.id, status=run.status, url=f"/runs/{run.id}", events=f"/api/runs/{run.id}/events")


@router.post("/{run_id}/points", status_code=204, responses=ERRORS, summary="Add a measured point to an external run")
def add_point(request: Request, session: SessionDep, run: OwnedRunDep, body: PointIn):
    """The run's owner (OwnedRunDep). Re-sending a step changes nothing."""
    items = {k: [list(r) for r in v] for k, v in body.items.items()} if body.items is not None else None
    external.add_point(session, state=request.app.state, run=run, step=body.step, values=body.values, items=items)


@router.post("/{run_id}/end", response_model=RunOut, responses=ERRORS, summary="End an external run")
def end(request: Request, session: SessionDep, run: OwnedRunDep, body: EndIn):
    """The run's owner (OwnedRunDep). succeeded builds the summary the run page, compare and the gate read."""
    return external.end(session, state=request.app.state, run=run, status=body.status, error=body.error,
                        eval_seconds=body.eval_seconds)
