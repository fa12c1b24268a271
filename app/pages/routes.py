"""HTML routes: builder (/), run page (/runs/{id}), runs list (/runs), the builder's dataset upload
(POST /datasets). Thin over app.lab and core.store.runs.

Sweeps and comparisons have their own routers (pages/sweeps.py, pages/compare.py)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from app.deps import RunDep, SessionDep
from core.datasets import TooLarge, is_dataset_id, where
from core.errors import DomainError
from core.presets import PRESETS, presets_for
from core.scenario import Scenario, ScenarioError, parse
from core.store import runs
from core.store.datasets import get_dataset
from core.tiers import DEFAULT_TIER, TaskInfo, all_tiers, get_tier, tier_of
from core.tiers.base import DATASET_PREFIX, is_dataset_task

from .. import lab
from ..reading import headline, read_run
from . import sweep_form
from .forms import form_values, grouped_specs, parse_items, raw_query, scenario_query
from .render import is_htmx, page

router = APIRouter(include_in_schema=False)
QUEUES = ("cpu", "gpu")  # Celery queues a run may go to (distributed mode only)


def _builder_context(items: list[tuple[str, str]], session=None) -> dict:
    """The builder's state from a query or form; with a session, a dataset task is looked up too."""
    data, errors = parse_items(items)
    tier = get_tier(data["tier"]) if data.get("tier") in all_tiers() else get_tier(DEFAULT_TIER)
    if "task" not in data:  # a tier picked on its own starts from its first task
        data["task"] = next(iter(tier.tasks))
    scenario: Scenario | None = None
    if not errors:
        try:
            scenario = parse(data)
        except ScenarioError as e:
            errors = e.errors
    if scenario is not None and session is not None:
        try:
            lab.check_datasets(session, [scenario])
        except ScenarioError as e:  # a dataset task whose dataset is not stored
            scenario, errors = None, e.errors
    query = scenario_query(scenario) if scenario else raw_query(items)
    task = str(scenario.task if scenario else data.get("task", ""))
    return {"groups": grouped_specs(), "values": form_values(scenario.model_dump(mode="json") if scenario else data),
            "errors": errors, "scenario": scenario, "query": query,
            "preset_groups": [(t.title, presets_for(name)) for name, t in all_tiers().items()],
            "current": lab.preset_of(scenario) if scenario else None, "tier": tier, "tasks": tier.tasks,
            "sweep": sweep_form.state(items, scenario),
            # A dataset task is no tier task: the task select gets an option for it (see builder.html).
            "dataset_task": task if is_dataset_task(task) else None,
            "dataset": _dataset(session, task)}


def _dataset(session, task: str) -> dict | None:
    """The stored dataset a task names, as the builder shows it (name, split sizes), if any."""
    key = task.removeprefix(DATASET_PREFIX)
    if session is None or not is_dataset_task(task) or not is_dataset_id(key):
        return None
    row = get_dataset(session, dataset_id=key)
    return lab.dataset_view(row) if row else None


def _queues(request: Request, context: dict) -> None:
    settings = request.app.state.settings
    context["queues"] = QUEUES if settings.distributed else ()
    context["default_queue"] = settings.queue


@router.get("/")
def builder(request: Request, session: SessionDep, preset: str | None = None):
    if preset is not None and not is_htmx(request):
        if preset in PRESETS:  # a preset link expands to its full, editable scenario in the URL
            query = scenario_query(PRESETS[preset].scenario())
            return RedirectResponse("/?" + query if query else "/", status_code=303)
    items = list(request.query_params.multi_items())
    context = _builder_context(items, session)
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
    context = _builder_context(items, session)
    _queues(request, context)
    if context["scenario"] is None:
        return page(request, "builder.html", context, status_code=422)
    queue = form.get("queue") if form.get("queue") in context["queues"] else None
    run = lab.submit(request, session, scenario=context["scenario"], queue=queue)
    return RedirectResponse(f"/runs/{run.id}", status_code=303)


@router.post("/datasets")
async def upload_dataset_form(request: Request, session: SessionDep):
    """The builder's "Use your own data". htmx: the result (split sizes, or every bad line) goes beside
    the file input and the page's script picks the new task. Without JavaScript: back to the builder
    with the dataset as the task, or the builder with the errors. Nothing is stored unless all is valid."""
    try:
        row, created = await lab.upload_dataset(request, session)
    except DomainError as e:  # TooLarge, DatasetError (per line), Invalid (no file, a bad name)
        upload = {"error": e.message, "lines": [(where(err), err["reason"]) for err in getattr(e, "errors", [])]}
        status = 413 if isinstance(e, TooLarge) else 422
        if is_htmx(request):
            return page(request, "builder.html", {"upload": upload}, blocks=("dataset_result",), status_code=status)
        context = _builder_context([], session)
        _queues(request, context)
        return page(request, "builder.html", {**context, "upload": upload}, status_code=status)
    view = lab.dataset_view(row)
    if not is_htmx(request):
        return RedirectResponse("/?" + urlencode({"task": view["task"]}), status_code=303)
    return page(request, "builder.html", {"upload": {"dataset": view, "created": created}},
                blocks=("dataset_result",))


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
    return {"run": run, "config": run.config, "task": _task_info(session, tier, scenario.task), "reading": reading,
            "capabilities": list(tier.capabilities.values()),
            "samples": samples, "builder_query": scenario_query(scenario),
            "preset": PRESETS.get(run.preset) if run.preset else None}


def _task_info(session, tier, task: str) -> TaskInfo:
    """A tier's task, or a user's dataset described by its name (it is not one of the tier's tasks)."""
    if not is_dataset_task(task):
        return tier.tasks[task]
    found = _dataset(session, task)
    about = f'your dataset "{found["name"]}".' if found else "your dataset, no longer stored."
    return TaskInfo(task, about, "your own data")


@router.get("/runs/{run_id}")
def run_page(request: Request, run: RunDep, session: SessionDep):
    return page(request, "run.html", _run_context(session, run), blocks=("run_header", "samples", "summary"))


@router.post("/runs/{run_id}/cancel")
def cancel_form(request: Request, run: RunDep, session: SessionDep):
    run = lab.cancel(request, session, run=run)
    if is_htmx(request):
        return page(request, "run.html", _run_context(session, run), blocks=("run_header",))
    return RedirectResponse(f"/runs/{run.id}", status_code=303)
