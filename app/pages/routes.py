"""HTML routes: builder (/), run page (/runs/{id}), runs list (/runs), the builder's dataset upload
(POST /datasets). Thin over app/services/ and core.store.runs.

Sweeps and comparisons have their own routers (pages/sweeps.py, pages/compare.py)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from forgetlab.app.auth import CurrentUser, MemberUser
from forgetlab.app.deps import ManagedRunDep, RunDep, SessionDep
from forgetlab.app.http import is_htmx
from forgetlab.core.datasets import TooLarge, is_dataset_id, where
from forgetlab.core.errors import DomainError
from forgetlab.core.presets import PRESETS, presets_for
from forgetlab.core.scenario import Scenario, ScenarioError, parse
from forgetlab.core.store import access, runs
from forgetlab.core.store.datasets import get_dataset
from forgetlab.core.store.models import STATUSES
from forgetlab.core.tiers import DEFAULT_TIER, TaskInfo, all_tiers, get_tier, tier_of
from forgetlab.core.tiers.base import DATASET_PREFIX, is_dataset_task

from ..http import read_upload
from ..services import datasets as dataset_service
from ..services import labels
from ..services import runs as run_service
from ..views.reading import LEARNING_PATH, headline, preset_values, read_run
from . import sweep_form
from .asks import ask_box
from .forms import form_values, grouped_specs, parse_items, raw_query, scenario_query
from .render import page

router = APIRouter(include_in_schema=False)
QUEUES = ("cpu", "gpu")  # Celery queues a run may go to (distributed mode only)


def _builder_context(items: list[tuple[str, str]], session=None) -> dict:
    """The builder's state from a query or form; with a session, a dataset task is looked up too."""
    data, errors = parse_items(items)
    tier = get_tier(data["tier"]) if data.get("tier") in all_tiers() else get_tier(DEFAULT_TIER)
    if "task" not in data:  # a tier picked on its own starts from its first task
        data["task"] = next(iter(tier.tasks))
    scenario: Scenario | None = None
    try:  # every field's error at once: one that could not be read does not hide another's range
        parsed = parse(data)
        scenario = None if errors else parsed
    except ScenarioError as e:
        errors = {**e.errors, **errors}
    if scenario is not None and session is not None:
        try:
            run_service.check_datasets(session, [scenario])
        except ScenarioError as e:  # a dataset task whose dataset is not stored
            scenario, errors = None, e.errors
    query = scenario_query(scenario) if scenario else raw_query(items)
    sweep = sweep_form.state(items, scenario)
    if sweep["query"]:  # the address holds the sweep rows too
        query = "&".join(q for q in (query, urlencode(sweep["query"])) if q)
    task = str(scenario.task if scenario else data.get("task", ""))
    return {"groups": grouped_specs(), "values": form_values(scenario.model_dump(mode="json") if scenario else data),
            "errors": errors, "scenario": scenario, "query": query,
            "preset_groups": [(t.title, presets_for(name)) for name, t in all_tiers().items()],
            "current": run_service.preset_of(scenario) if scenario else None, "tier": tier, "tasks": tier.tasks,
            "sweep": sweep, "preset_values": preset_values, "presets": PRESETS, "learning_path": LEARNING_PATH,
            # A dataset task is no tier task: the task select gets an option for it (see builder.html).
            "dataset_task": task if is_dataset_task(task) else None,
            "dataset": _dataset(session, task)}


def _dataset(session, task: str) -> dict | None:
    """The stored dataset a task names, as the builder shows it (name, split sizes), if any."""
    key = task.removeprefix(DATASET_PREFIX)
    if session is None or not is_dataset_task(task) or not is_dataset_id(key):
        return None
    row = get_dataset(session, dataset_id=key)
    return dataset_service.view(row) if row else None


def _queues(request: Request, context: dict) -> None:
    settings = request.app.state.settings
    context["queues"] = QUEUES if settings.distributed else ()
    context["default_queue"] = settings.queue


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
        query = _builder_context(merged, session)["query"]
        return RedirectResponse("/?" + query if query else "/", status_code=303)
    context = _builder_context(items, session)
    _queues(request, context)
    if preset is not None and preset not in PRESETS:
        context["notice"] = f"There is no preset {preset!r}; pick one from the list."
    response = page(request, "builder.html", context, blocks=("validation",))
    if is_htmx(request):  # the address bar always holds the scenario being edited
        response.headers["HX-Replace-Url"] = "/?" + context["query"] if context["query"] else "/"
    return response


@router.post("/runs")
async def submit_form(request: Request, session: SessionDep, user: MemberUser):
    """Students and instructors; the run is theirs."""
    form = await request.form()
    items = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    context = _builder_context(items, session)
    _queues(request, context)
    if context["scenario"] is None:
        return page(request, "builder.html", context, status_code=422)
    if context["sweep"]["filled"] and form.get("single") != "1":
        # Filled sweep rows are never dropped silently: a plain "Run it" (or Enter from a page that
        # predates the rows) asks which was meant.
        context["notice"] = ("The sweep rows are filled: press the sweep button to run every combination, or "
                             '"Run once, without the sweep" for a single run of the scenario.')
        return page(request, "builder.html", context, status_code=409)
    queue = form.get("queue") if form.get("queue") in context["queues"] else None
    run = run_service.submit(session, state=request.app.state, scenario=context["scenario"], owner=user, queue=queue)
    # A one-click follow-up ("Try LoRA" on a run page) names the run it came from (one the user may see).
    parent_id = int(form["parent"]) if str(form.get("parent", "")).isdigit() else None
    parent = runs.get_runs(session, run_ids=[parent_id], where=access.run_filter(user)).get(parent_id)
    if parent is not None:
        runs.set_parent(session, run_id=run.id, parent_id=parent.id)
    return RedirectResponse(f"/runs/{run.id}", status_code=303)


@router.post("/datasets")
async def upload_dataset_form(request: Request, session: SessionDep, user: MemberUser):
    """Students and instructors: the builder's "Use your own data". htmx: the result (split sizes, or every bad line) goes beside
    the file input and the page's script picks the new task. Without JavaScript: back to the builder
    with the dataset as the task, or the builder with the errors. Nothing is stored unless all is valid."""
    try:
        data, name = await read_upload(request)
        row, created = dataset_service.upload(session, data=data, name=name, owner=user)
    except DomainError as e:  # TooLarge, DatasetError (per line), Invalid (no file, a bad name)
        upload = {"error": e.message, "lines": [(where(err), err["reason"]) for err in getattr(e, "errors", [])]}
        status = 413 if isinstance(e, TooLarge) else 422
        if is_htmx(request):
            return page(request, "builder.html", {"upload": upload}, blocks=("dataset_result",), status_code=status)
        context = _builder_context([], session)
        _queues(request, context)
        return page(request, "builder.html", {**context, "upload": upload}, status_code=status)
    view = dataset_service.view(row)
    if not is_htmx(request):
        return RedirectResponse("/?" + urlencode({"task": view["task"]}), status_code=303)
    return page(request, "builder.html", {"upload": {"dataset": view, "created": created}},
                blocks=("dataset_result",))


FILTERS = ("status", "preset", "task", "tier", "tag", "sort")


@router.get("/runs")
def runs_list(request: Request, session: SessionDep, user: CurrentUser):
    """Anyone signed in: the runs they may see. Filters and the sort are query keys, so a filtered list is a link."""
    # Checkboxes pick runs to compare; hx-preserve keeps them ticked across the table's refreshes.
    chosen = {k: request.query_params.get(k) or None for k in FILTERS}
    if chosen["sort"] not in runs.SORTS:
        chosen["sort"] = "newest"
    found = runs.find_runs(session, **chosen, limit=100, where=access.run_filter(user))
    first = runs.first_runs(session, hashes=[r.config_hash for r in found], where=access.run_filter(user))
    rows = [{"run": run, "headline": headline(run.summary), "tags": runs.tags_of(run),
             "repeat_of": first.get(run.config_hash) if first.get(run.config_hash, run.id) < run.id else None}
            for run in found]
    active = any(not row["run"].terminal for row in rows)
    options = {"status": list(STATUSES), "preset": list(PRESETS), "tier": list(all_tiers()),
               "task": sorted({t for tier in all_tiers().values() for t in tier.tasks}),
               "sort": list(runs.SORTS)}
    return page(request, "runs.html", {"rows": rows, "active": active, "chosen": chosen, "options": options,
                                       "filtered": any(chosen[k] for k in FILTERS if k != "sort")},
                blocks=("runs_table",))


@router.post("/runs/{run_id}/labels")
async def label_form(request: Request, run: ManagedRunDep, session: SessionDep, user: CurrentUser):
    """Rename, tag and annotate a run: its owner, or an instructor of their class (ManagedRunDep)."""
    form = await request.form()
    try:
        labels.label(session, run=run, name=form.get("name"), tags=form.get("tags"), note=form.get("note"))
    except DomainError as e:
        context = _run_context(session, run, user)
        context["label_error"] = {e.field: e.message}
        return page(request, "run.html", context, status_code=422)
    return RedirectResponse(f"/runs/{run.id}", status_code=303)


@router.post("/runs/{run_id}/delete")
def delete_form(request: Request, run: ManagedRunDep, session: SessionDep):
    """Delete an ended run that no sweep holds: its owner, or an instructor of their class (ManagedRunDep)."""
    run_service.delete(session, settings=request.app.state.settings, run=run)  # Invalid: 422 page saying why
    return RedirectResponse("/runs", status_code=303)


def _run_context(session, run, user) -> dict:
    """What run.html shows of `run` to `user`: the parent and "repeat of" runs only when `user` may see them."""
    scenario = Scenario.model_validate(run.config)
    reading = None
    if run.summary:
        base = runs.step_values(session, run_id=run.id, step=0)
        reading = read_run(config=run.config, summary=run.summary, base=base, info=run.info,
                           lowest_val_loss=runs.lowest(session, run_id=run.id, key="val_loss"))
    parent = runs.get_run(session, run_id=run.parent_id) if run.parent_id else None
    if parent is not None and not access.can_view_run(session, user, parent):
        parent = None  # made from a run this user may not see (since unshared, or another's)
    first = runs.first_runs(session, hashes=[run.config_hash], where=access.run_filter(user)).get(run.config_hash)
    samples = runs.latest_samples(session, run_id=run.id)
    tier = tier_of(run.config)
    return {"run": run, "config": run.config, "task": _task_info(session, tier, scenario.task), "reading": reading,
            "capabilities": list(tier.capabilities.values()),
            "samples": samples, "builder_query": scenario_query(scenario),
            "preset": PRESETS.get(run.preset) if run.preset else None,
            "parent": parent, "parent_side": _side_by_side(run, parent) if parent else None,
            "repeat_of": first if first is not None and first < run.id else None, "tags": runs.tags_of(run),
            "next_step": _next_on_path(run.preset)}


def _next_on_path(preset: str | None) -> dict | None:
    """The preset after this run's on the learners' path (app/views/reading.py), if the run is on it."""
    names = [name for name, _ in LEARNING_PATH]
    if preset not in names or names.index(preset) + 1 == len(names):
        return None
    name, why = LEARNING_PATH[names.index(preset) + 1]
    return {"name": name, "title": PRESETS[name].title, "why": why}


def _side_by_side(run, parent) -> dict:
    """This run against the run its follow-up was made from: what changed, and each capability's result."""
    mine, theirs = run.config, parent.config
    changed = [(k, theirs.get(k), mine.get(k)) for k in mine if k != "version" and mine.get(k) != theirs.get(k)]
    caps = list(tier_of(mine).capabilities)
    final = {r.id: (r.summary or {}).get("final", {}) for r in (run, parent)}
    rows = [(c, final[parent.id].get(c), final[run.id].get(c)) for c in caps]
    task = [((r.summary or {}).get("task_accuracy") or {}).get("final") for r in (parent, run)]
    return {"changed": changed, "rows": rows, "task": task}


def _task_info(session, tier, task: str) -> TaskInfo:
    """A tier's task, or a user's dataset described by its name (it is not one of the tier's tasks)."""
    if not is_dataset_task(task):
        return tier.tasks[task]
    found = _dataset(session, task)
    about = f'your dataset "{found["name"]}".' if found else "your dataset, no longer stored."
    return TaskInfo(task, about, "your own data")


@router.get("/runs/{run_id}")
def run_page(request: Request, run: RunDep, session: SessionDep, user: CurrentUser):
    """Anyone who may see the run (RunDep); its buttons only for who may use them."""
    context = {**_run_context(session, run, user), **ask_box(session, run, user),
               "can_manage": access.can_manage_run(session, user, run)}
    return page(request, "run.html", context, blocks=("run_header", "samples", "summary"))


@router.post("/runs/{run_id}/share")
async def share_form(request: Request, run: ManagedRunDep, session: SessionDep):
    """Share the run with everyone signed in, guests included, or stop: its owner or an instructor of their class."""
    form = await request.form()
    runs.set_shared(session, run_id=run.id, shared=form.get("shared") == "true")
    return RedirectResponse(f"/runs/{run.id}", status_code=303)


@router.post("/runs/{run_id}/cancel")
def cancel_form(request: Request, run: ManagedRunDep, session: SessionDep, user: CurrentUser):
    """Its owner, or an instructor of their class (ManagedRunDep)."""
    run = run_service.cancel(session, state=request.app.state, run=run)
    if is_htmx(request):
        return page(request, "run.html", _run_context(session, run, user), blocks=("run_header",))
    return RedirectResponse(f"/runs/{run.id}", status_code=303)
