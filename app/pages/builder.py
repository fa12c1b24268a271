"""The scenario builder (/) and its "Run it" (POST /runs): every setting in the address, checked as it is
typed, and a run started from it. The state it shows is builder_state.py's; sweeps start from the same form
(sweeps.py), and its own-data upload is upload.py."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from forgetlab.app.auth import CurrentUser, MemberUser
from forgetlab.app.deps import SessionDep
from forgetlab.app.http import FormDep, is_htmx
from forgetlab.app.middleware.limits import request_address
from forgetlab.app.services import runs as run_service
from forgetlab.core.ids import parse_id
from forgetlab.core.presets import PRESETS
from forgetlab.core.store import access, runs

from .builder_state import builder_context, queue_of
from .forms import scenario_query
from .render import page

router = APIRouter(include_in_schema=False)


@router.get("/")
def builder(request: Request, session: SessionDep, user: CurrentUser, preset: str | None = None):
    """Anyone signed in (a guest sees the builder and presets, and may not start runs)."""
    items = list(request.query_params.multi_items())
    if preset is not None and not is_htmx(request) and preset in PRESETS:
        # A preset link expands to its full, editable scenario in the URL; any other key of the link
        # overrides the preset's value (`/?preset=break-it&lr=0.0005&task=shift`), sweep rows included.
        given = {k for k, _ in items if k != "preset"}
        merged = [(k, v) for k, v in parse_qsl(scenario_query(PRESETS[preset].scenario())) if k not in given]
        merged += [(k, v) for k, v in items if k != "preset"]
        if "lora_targets" in dict(merged):  # comma-joined in a canonical query, repeated in a form
            merged = [(k, v) for k, v in merged if k != "lora_targets"] + [
                ("lora_targets", t) for k, v in merged if k == "lora_targets" for t in v.split(",") if t]
        query = builder_context(request, merged, session)["query"]
        return RedirectResponse("/?" + query if query else "/", status_code=303)
    context = builder_context(request, items, session)
    if preset is not None and preset not in PRESETS:
        context["notice"] = f"There is no preset {preset!r}; pick one from the list."
    response = page(request, "builder.html", context, blocks=("validation",))
    if is_htmx(request):  # the address bar always holds the scenario being edited
        response.headers["HX-Replace-Url"] = "/?" + context["query"] if context["query"] else "/"
    return response


@router.post("/runs")
def submit_form(request: Request, session: SessionDep, user: MemberUser, form: FormDep):
    """Students and instructors; the run is theirs."""
    items = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    context = builder_context(request, items, session)
    if context["scenario"] is None:
        return page(request, "builder.html", context, status_code=422)
    if context["sweep"]["filled"] and form.get("single") != "1":
        # Filled sweep rows are never dropped silently: a plain "Run it" (or Enter from a page that
        # predates the rows) asks which was meant.
        context["notice"] = ("The sweep rows are filled: press the sweep button to run every combination, or "
                             '"Run once, without the sweep" for a single run of the scenario.')
        return page(request, "builder.html", context, status_code=409)
    run = run_service.submit(session, state=request.app.state, scenario=context["scenario"], owner=user,
                             queue=queue_of(form, context), address=request_address(request))
    # A one-click follow-up ("Try LoRA" on a run page) names the run it came from (one the user may see).
    parent_id = parse_id(str(form.get("parent", "")))
    parent = runs.get_runs(session, run_ids=[parent_id], where=access.run_filter(user)).get(parent_id) \
        if parent_id is not None else None
    if parent is not None:
        runs.set_parent(session, run_id=run.id, parent_id=parent.id)
    return RedirectResponse(f"/runs/{run.id}", status_code=303)
