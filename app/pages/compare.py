"""The comparison page: /compare?runs=3,5,8[&baseline=5] or /compare?sweep=2. The URL is the comparison."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from forgetlab.app.auth import CurrentUser
from forgetlab.app.deps import SessionDep, run_from_query
from forgetlab.core.errors import Invalid
from forgetlab.core import seeds
from forgetlab.core.ids import MAX_ID, parse_ids
from forgetlab.core.compare import nll_rise
from forgetlab.core.results import TASK_ACCURACY, TASK_NLL, cap_key
from forgetlab.core.store import access

from ..services import gate, hidden
from ..services import suites as suite_service
from ..views import comparison
from ..views.scatter import render as scatter
from .render import page

router = APIRouter(include_in_schema=False)
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]  # as the API's: past a column's range is a 422, not a 500


@router.get("/compare")
def compare_page(request: Request, session: SessionDep, user: CurrentUser, sweep: IdQuery = None, baseline: IdQuery = None):
    """Anyone signed in, over runs (or a sweep) they may see."""
    values = request.query_params.getlist("runs")
    ids = parse_ids(values)
    if sweep is None and values and (len(values) != 1 or ",".join(map(str, ids)) != values[0]):
        # Checkboxes send runs=9&runs=5 (newest first): answer with the short, shareable runs=5,9, oldest
        # first, so the default baseline is the earliest run, usually the "before" of a change.
        ids = sorted(ids) if len(values) > 1 else ids
        query = "runs=" + ",".join(map(str, ids)) + (f"&baseline={baseline}" if baseline else "")
        return RedirectResponse("/compare?" + query, status_code=303)
    chosen, note = comparison.select_runs(session, run_ids=ids, sweep_id=sweep, where=access.run_filter(user),
                                          sweep_where=access.sweep_filter(user))  # others: "no run", as unknown
    chosen = hidden.shown(session, user, chosen)  # attempts' hidden settings left out
    data = comparison.build(session, chosen, baseline=baseline, order=comparison.grid_order(session, sweep))
    selection = f"sweep={sweep}" if sweep is not None else "runs=" + ",".join(map(str, ids))
    measured = suite_service.capabilities(session, [r["config"] for r in data["runs"]])
    charts = _charts(data, measured)
    cap_metrics = [(c.name, f"final {c.name}") for c in measured]
    context = {"data": data, "note": note, "sweep": sweep, "selection": selection,
               "scatter": scatter(data["runs"], best=data["best"], groups=data["groups"], best_group=data["best_group"]),
               "charts": charts, "cap_metrics": cap_metrics,
               # Answer NLL beside accuracy: its rise per capability in the table (None: not stored), and
               # its curves for the charts' NLL view, read apart so the accuracy curves stay as the API's.
               "cap_of_metric": {metric: cap for cap, metric in cap_metrics},
               "nll_rise": {r["id"]: nll_rise(r["summary"]) for r in data["runs"]},
               "nll": _nll_curves(session, data, [c["nll_key"] for c in charts])}
    return page(request, "compare.html", context)


def _charts(data: dict, capabilities: list) -> list[dict]:
    tasks = sorted({r["config"]["task"] for r in data["runs"] if "task" in r["config"]})  # external runs: none
    charts = [{"key": cap_key(c.name), "nll_key": cap_key(c.name, "nll"), "title": c.name, "name": c.name,
               "description": c.description}
              for c in capabilities]
    if tasks:
        charts.append({"key": TASK_ACCURACY, "nll_key": TASK_NLL, "title": "task: " + ", ".join(tasks),
                       "name": "task"})
    return charts


def _nll_curves(session, data: dict, keys: list[str]) -> dict:
    """{"curves": {run id: {"steps", key: [...]}}, "base": {key: step-0 level}} of the answer NLL keys."""
    lines = comparison.curves(session, [r["id"] for r in data["runs"]], keys)
    # With seeds, each setting's NLL curve is its seeds' mean with a band, as its accuracy curve is.
    groups = [seeds.mean_curve([lines[i] for i in g["ids"]], keys, seeds.NLL) for g in data["groups"]]
    return {"curves": lines, "base": comparison.base_levels(lines, keys), "groups": groups}


@router.get("/gate")
def gate_page(request: Request, session: SessionDep, user: CurrentUser, candidate: str, base: str | None = None,
              max_drop: float = 0.05, max_nll_rise: float | None = None):
    """Anyone signed in, over runs they may see: a run's model gated against its base, or another run's model
    (see app/services/gate.py)."""
    if not 0.0 <= max_drop <= 1.0:
        raise Invalid("max_drop must be between 0 and 1", "max_drop")
    if max_nll_rise is not None and not 0.0 <= max_nll_rise <= 100.0:
        raise Invalid("max_nll_rise must be between 0 and 100 nats per token", "max_nll_rise")
    g = gate.report(candidate=run_from_query(session, candidate, "candidate", user=user),
                    base=run_from_query(session, base, "base", user=user), max_drop=max_drop, max_nll_rise=max_nll_rise)
    return page(request, "gate.html", {"g": g})
