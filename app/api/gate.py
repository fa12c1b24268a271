"""The regression gate between finished runs, and a run's saved model as a download: anyone signed in, over
runs they may see (core/store/access.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from forgetlab.app.auth import CurrentUser
from forgetlab.app.deps import RunDep, SessionDep, run_from_query
from forgetlab.app.services import gate
from forgetlab.core.errors import Forbidden
from forgetlab.core.store import access

router = APIRouter(tags=["gate"])
ERRORS = {403: {"description": "An assignment attempt's model, to anyone but its class's instructor"},
          404: {"description": "An unknown run, or a run with no saved model"},
          422: {"description": "A run that has not finished, runs of different tiers, or a bad max_drop"}}


@router.get("/gate", responses=ERRORS, summary="Gate a run's model against its base or another run's model")
def gate_runs(session: SessionDep, user: CurrentUser, candidate: Annotated[str, Query(description="The run whose model would ship")],
              base: Annotated[str | None, Query(description="Another run to compare against (default: the "
                                                             "candidate's own base model)")] = None,
              max_drop: Annotated[float, Query(ge=0.0, le=1.0, description="Largest accuracy drop that passes")] = 0.05,
              max_nll_rise: Annotated[float | None, Query(ge=0.0, le=100.0, description="Largest answer NLL rise "
                                                          "(nats per token) that passes; default: NLL not judged")] = None):
    """Anyone signed in, over runs they may see."""
    return gate.report(candidate=run_from_query(session, candidate, "candidate", user=user),
                       base=run_from_query(session, base, "base", user=user), max_drop=max_drop,
                       max_nll_rise=max_nll_rise)


@router.get("/runs/{run_id}/model", responses=ERRORS, summary="Download a run's saved model (zip)",
            response_class=Response)
def download_model(request: Request, session: SessionDep, user: CurrentUser, run: RunDep):
    """Anyone who may see the run (RunDep: its owner, an instructor of their class, everyone if shared), except an
    attempt at an assignment with hidden settings, which only its class's instructor downloads: the saved files
    carry every setting (the manifest's scenario, the adapter's rank and alpha)."""
    if access.hidden_fields(session, user, [run.id]):
        raise Forbidden("this attempt's saved model is for its instructor to download: its files name the "
                        "settings the assignment hides", "run")
    archive = gate.model_archive(settings=request.app.state.settings, sessions=request.app.state.sessions, run=run)
    return StreamingResponse(archive, media_type="application/zip",
                             headers={"Content-Disposition": f'attachment; filename="forgetlab-run-{run.id}-model.zip"'})
