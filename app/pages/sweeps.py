"""HTML routes of sweeps: launch one from the builder, follow it, open its comparison when it ends."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from forgetlab.app.auth import CurrentUser, MemberUser
from forgetlab.app.deps import ManagedSweepDep, SessionDep, SweepDep
from forgetlab.app.http import FormDep, is_htmx
from forgetlab.app.middleware.limits import request_address
from forgetlab.core.scenario import ScenarioError
from forgetlab.core.store import access, sweeps

from ..services.sweeps import cancel_sweep, submit_sweep
from ..views.comparison import MAX_RUNS, pick
from .render import page
from .builder_state import builder_context, queue_of

router = APIRouter(include_in_schema=False)


@router.post("/sweeps")
def submit_sweep_form(request: Request, session: SessionDep, user: MemberUser, form: FormDep):
    """Students and instructors; the sweep and its new runs are theirs."""
    items = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    context = builder_context(request, items, session)
    sweep = context["sweep"]
    if context["scenario"] is None or not sweep["spec"]:
        if not sweep["grid"] and not sweep["errors"]:
            sweep["errors"] = {"sweep": "pick a field to sweep and list its values"}
        return page(request, "builder.html", context, status_code=422)
    try:
        created = submit_sweep(session, state=request.app.state, spec=sweep["spec"], owner=user,
                               queue=queue_of(form, context), address=request_address(request))
    except ScenarioError as e:  # a swept task that names a dataset not stored
        sweep["errors"] = e.errors
        return page(request, "builder.html", context, status_code=422)
    return RedirectResponse(f"/sweeps/{created.id}", status_code=303)


@router.get("/sweeps")
def sweeps_list(request: Request, session: SessionDep, user: CurrentUser):
    """Anyone signed in: the sweeps they may see."""
    rows = [{"sweep": s, "title": sweeps.title(s), "counts": c} for s, c in sweeps.list_sweeps(session, limit=100,
                                                                                         where=access.sweep_filter(user))]
    return page(request, "sweeps.html", {"rows": rows})


def _context(request: Request, session, sweep) -> dict:
    view = sweeps.view(session, sweep)
    first: dict[int, int] = {}  # run id -> position of its first grid point (a run may fill several)
    for p in view["points"]:
        first.setdefault(p["run_id"], p["position"])
    runs = list(dict.fromkeys(p["run"] for p in view["points"]))
    # Ticked to start with: what /compare?sweep= would show (all, or the most telling MAX_RUNS).
    chosen = pick(runs) if len(runs) > MAX_RUNS else runs
    settings = request.app.state.settings
    return {"view": view, "ticked": {first[r.id] for r in chosen}, "distinct": len(runs), "max_compare": MAX_RUNS,
            "parallel": None if settings.distributed else settings.workers}


@router.get("/sweeps/{sweep_id}")
def sweep_page(request: Request, sweep: SweepDep, session: SessionDep):
    """Anyone who may see the sweep (SweepDep)."""
    context = _context(request, session, sweep)
    response = page(request, "sweep.html", context, blocks=("sweep_status",))
    # The page polls while runs are going; the poll that sees the last one end opens the comparison.
    if is_htmx(request) and context["view"]["finished"] and context["distinct"] > 1:
        response.headers["HX-Redirect"] = context["view"]["compare"]
    return response


@router.post("/sweeps/{sweep_id}/cancel")
def cancel_sweep_form(request: Request, sweep: ManagedSweepDep, session: SessionDep):
    """Its owner, or an instructor of their class (ManagedSweepDep)."""
    cancel_sweep(session, state=request.app.state, sweep=sweep)
    return RedirectResponse(f"/sweeps/{sweep.id}", status_code=303)
