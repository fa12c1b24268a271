"""Comparisons and exports: several runs side by side, and their metrics and summaries as files."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from forgetlab.app.auth import CurrentUser
from forgetlab.app.deps import SessionDep
from forgetlab.app.services import hidden
from forgetlab.core.ids import MAX_ID, parse_ids
from forgetlab.core.store import access

from ..views import comparison, export
from .schemas import Comparison

router = APIRouter(tags=["compare"])
ERRORS = {404: {"description": "An unknown run or sweep"},
          422: {"description": "Not 2 to 8 runs, a run id that is not a number, or a baseline not among them"}}
RunsQuery = Annotated[list[str], Query(description="Run ids, comma-separated or repeated: runs=3,5,8. Required, "
                                                    "unless `sweep` names a sweep instead (app/openapi.py)")]
SweepQuery = Annotated[int | None, Query(description="A sweep id, instead of runs", ge=1, le=MAX_ID)]


@router.get("/compare", response_model=Comparison, responses=ERRORS,
            summary="2 to 8 runs (or a sweep's): deltas against a baseline, config diff, frontier, curves")
def compare_runs(session: SessionDep, user: CurrentUser, runs: RunsQuery = [], sweep: SweepQuery = None,  # noqa: B006
                 baseline: Annotated[int | None, Query(description="Run the deltas are against "
                                                                   "(default: the first finished one)",
                                                       ge=1, le=MAX_ID)] = None,
                 curves: Annotated[bool, Query(description="Include each run's per-step accuracy curves")] = True):
    """Anyone signed in, over runs (or a sweep) they may see; others are "no run", as if unknown."""
    chosen, note = comparison.select_runs(session, run_ids=parse_ids(runs), sweep_id=sweep,
                                          where=access.run_filter(user), sweep_where=access.sweep_filter(user))
    chosen = hidden.shown(session, user, chosen)  # attempts' hidden settings left out
    order = comparison.grid_order(session, sweep)
    return {**comparison.build(session, chosen, baseline=baseline, with_curves=curves, order=order), "note": note}


@router.get("/export/{table}.{fmt}", responses={**ERRORS, 200: {"content": {"text/csv": {}, "application/json": {}}}},
            summary="Per-step metrics or summaries of runs or a sweep, as a CSV or JSON download")
def export_runs(session: SessionDep, user: CurrentUser, table: Literal["metrics", "summary"], fmt: Literal["csv", "json"],
                runs: RunsQuery = [], sweep: SweepQuery = None):  # noqa: B006
    run_ids = parse_ids(runs)
    """Anyone signed in, over runs (or a sweep) they may see."""
    chosen = export.select_runs(session, run_ids=run_ids, sweep_id=sweep, where=access.run_filter(user),
                                sweep_where=access.sweep_filter(user))
    chosen = hidden.shown(session, user, chosen)  # attempts' hidden settings left out
    name = export.filename(run_ids=run_ids, sweep_id=sweep, table=table, fmt=fmt)
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    return Response(export.render(session, chosen, table=table, fmt=fmt), media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
