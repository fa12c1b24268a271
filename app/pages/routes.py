"""HTML routes: builder (/), run page (/runs/{id}), runs list (/runs). Thin over app.lab and app.runs.

Sweeps and comparisons have their own routers (pages/sweeps.py, pages/compare.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from app.deps import RunDep, SessionDep
from core.presets import PRESETS
from core.scenario import Scenario, ScenarioError, parse
from core.store import runs
from core.tiers import get_tier, tier_of

from .. import lab
from ..reading import headline, read_run
from . import sweep_form
from .forms import form_values, grouped_specs, parse_items, raw_query, scenario_query
from .render import is_htmx, page

router = APIRouter(include_in_schema=False)
QUEUES = ("cpu", "gpu")  # Celery queues a run may go to (distributed mode only)


def _builder_context(items: list[tuple[str, str]]) -> dict:
    data, errors = parse_items(items)
    scenario: Scenario | None = None
    if not errors:
        try:
            scenario = parse(data)
        except ScenarioError as e:
            errors = e.errors
    query = scenario_query(scenario) if scenario else raw_query(items)
    return {"groups": grouped_specs(), "values": form_values(scenario.model_dump(mode="json") if scenario else data),
            "errors": errors, "scenario": scenario, "query": query, "presets": PRESETS.values(),
            "current": lab.preset_of(scenario) if scenario else None,
            "tasks": get_tier(scenario.tier if scenario else data.get("tier", "synthetic")).tasks,
            "sweep": sweep_form.state(items, scenario)}


def _queues(request: Request, context: dict) -> None:
    settings = request.app.state.settings
    context["queues"] = QUEUES if settings.distributed else ()
    context["default_queue"] = settings.queue


@router.get("/")
def builder(request: Request, preset: str | None = None):
    if preset is not None and not is_htmx(request):
        if preset in PRESETS:  # a preset link expands to its full, editable scenario in the URL
            query = scenario_query(PRESETS[preset].scenario())
            return RedirectResponse("/?" + query if query else "/", status_code=303)
    items = list(request.query_params.multi_items())
    context = _builder_context(items)
    _queues(request, context)
    if preset is not None and preset not in PRESETS:
        context["notice"] = f"There is no preset {preset!r}; pick one from the list."
    response = page(request, "builder.html", context, blocks=("validation",))
    if is_htmx(request):  # the address bar always holds the scenario being edited
        response.headers["HX-Replace-Url"] = "/?" + context["query"] if context["query"] else "/"
    return response


@router.post("/runs")
async def submit_form(request: Request, session: SessionDep):
    form = await request.form()
    items = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    context = _builder_context(items)
    _queues(request, context)
    if context["scenario"] is None:
        return page(request, "builder.html", context, status_code=422)
    queue = form.get("queue") if form.get("queue") in context["queues"] else None
    run = lab.submit(request, session, scenario=context["scenario"], queue=queue)
    return RedirectResponse(f"/runs/{run.id}", status_code=303)


@router.get("/runs")
def runs_list(request: Request, session: SessionDep):
    # Checkboxes pick runs to compare; hx-preserve keeps them ticked across the table's refreshes.
    rows = [{"run": run, "headline": headline(run.summary)} for run in runs.list_runs(session, limit=100)]
    active = any(not row["run"].terminal for row in rows)
    return page(request, "runs.html", {"rows": rows, "active": active}, blocks=("runs_table",))


def _run_context(session, run) -> dict:
    scenario = Scenario.model_validate(run.config)
    reading = None
    if run.summary:
        base = runs.step_values(session, run_id=run.id, step=0)
        reading = read_run(config=run.config, summary=run.summary, base=base, info=run.info)
    samples = runs.latest_samples(session, run_id=run.id)
    tier = tier_of(run.config)
    return {"run": run, "config": run.config, "task": tier.tasks[scenario.task], "reading": reading,
            "capabilities": list(tier.capabilities.values()),
            "samples": samples, "builder_query": scenario_query(scenario),
            "preset": PRESETS.get(run.preset) if run.preset else None}


@router.get("/runs/{run_id}")
def run_page(request: Request, run: RunDep, session: SessionDep):
    return page(request, "run.html", _run_context(session, run), blocks=("run_header", "samples", "summary"))


@router.post("/runs/{run_id}/cancel")
def cancel_form(request: Request, run: RunDep, session: SessionDep):
    run = lab.cancel(request, session, run=run)
    if is_htmx(request):
        return page(request, "run.html", _run_context(session, run), blocks=("run_header",))
    return RedirectResponse(f"/runs/{run.id}", status_code=303)
