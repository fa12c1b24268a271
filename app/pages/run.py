"""The run page (/runs/{id}) and what its owner does there: rename, tag and annotate it, share it, cancel
it, delete it. Its live curves come from static/run.js over the run's event stream (app/api/events.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from forgetlab.app.auth import CurrentUser
from forgetlab.app.deps import ManagedRunDep, RunDep, SessionDep
from forgetlab.app.http import FormDep, is_htmx
from forgetlab.app.services import attempts, hidden, labels, queue
from forgetlab.app.services import runs as run_service
from forgetlab.core.errors import DomainError
from forgetlab.core.presets import PRESETS
from forgetlab.core.scenario import Scenario
from forgetlab.core.store import access, classes, runs
from forgetlab.core.tiers import TaskInfo, tier_of
from forgetlab.core.tiers.base import is_dataset_task

from ..services import datasets as dataset_service
from ..services import samples as sample_service
from ..services import suites as suite_service

from ..views.charts import run_live
from ..views.reading import LEARNING_PATH, read_external, read_run
from .asks import ask_box
from .forms import scenario_query
from .render import page

router = APIRouter(include_in_schema=False)


def _run_context(session, run, user) -> dict:
    """What run.html shows of `run` to `user`: the parent and "repeat of" runs only when `user` may see them.

    An attempt's run: no cancel or delete (attempts are records), and for all but its class's instructor none of
    its hidden settings (app/services/hidden.py): not in the settings line, the builder link or the reading,
    and no "repeat of" (that would tell which settings it has), nor does another run's "repeat of" name it. An
    external run's config is its trainer's arguments, not a scenario: no builder link."""
    attempt = classes.attempt_of_run(session, run_id=run.id)
    # A held-out split's private part: for the class's instructor and admins only (app/services/attempts.py).
    private = run.private_summary if attempt is not None and run.private_summary and attempts.sees_private(
        session, classes.get_assignment(session, assignment_id=attempt.assignment_id), user) else None
    samples = sample_service.latest(session, run, user)  # read from the whole run: its task and suites
    run = hidden.shown_run(session, user, run)
    masked = hidden.is_masked(run)
    scenario = None if run.external else Scenario.model_validate(run.config)
    reading = None
    if run.summary and run.external:
        reading = read_external(config=run.config, summary=run.summary)
    elif run.summary and not masked:
        base = runs.step_values(session, run_id=run.id, step=0)
        reading = read_run(config=run.config, summary=run.summary, base=base, info=run.info,
                           lowest_val_loss=runs.lowest(session, run_id=run.id, key="val_loss"))
    parent = runs.get_run(session, run_id=run.parent_id) if run.parent_id else None
    if parent is not None and not access.can_view_run(session, user, parent):
        parent = None  # made from a run this user may not see (since unshared, or another's)
    if parent is not None:
        parent = hidden.shown_run(session, user, parent)  # a follow-up of an attempt: its hidden settings stay so
    first = None if masked else \
        runs.first_runs(session, hashes=[run.config_hash], where=access.reusable_filter(user)).get(run.config_hash)
    tier = tier_of(run.config)
    task, task_label = _task_info(session, tier, run, scenario.task, user) if scenario else (None, None)
    capabilities = [c for c in suite_service.capabilities(session, [run.config])
                    if not run.external or c.name in run.config["suites"]]
    if scenario is None:
        builder = None
    else:
        builder = f"/assignments/{attempt.assignment_id}" if masked else "/?" + scenario_query(scenario)
    return {"run": run, "config": run.config, "attempt": attempt, "builder_href": builder, "masked": masked,
            "private": private,
            "task": task, "task_label": task_label, "reading": reading,
            "capabilities": capabilities,
            "samples": samples,
            "preset": PRESETS.get(run.preset) if run.preset else None,
            "parent": parent, "parent_side": _side_by_side(run, parent) if parent else None,
            "repeat_of": first if first is not None and first < run.id else None, "tags": runs.tags_of(run),
            "next_step": _next_on_path(run.preset), "live": run_live()}


def _next_on_path(preset: str | None) -> dict | None:
    """The preset after this run's on the learners' path (app/views/reading.py), if the run is on it."""
    names = [name for name, _ in LEARNING_PATH]
    if preset not in names or names.index(preset) + 1 == len(names):
        return None
    name, why = LEARNING_PATH[names.index(preset) + 1]
    return {"name": name, "title": PRESETS[name].title, "why": why}


def _side_by_side(run, parent) -> dict:
    """This run against the run its follow-up was made from: what changed, and each capability's result. A setting
    the parent hides (an attempt's, app/services/hidden.py) is not compared: "epochs 1 → 3" would tell it."""
    mine, theirs = run.config, parent.config
    hidden_there = set(parent.hidden) if hidden.is_masked(parent) else set()
    changed = [(k, theirs.get(k), mine.get(k)) for k in mine
               if k != "version" and k not in hidden_there and mine.get(k) != theirs.get(k)]
    final = {r.id: (r.summary or {}).get("final", {}) for r in (run, parent)}
    caps = list(dict.fromkeys([*tier_of(mine).capabilities, *final[run.id]]))  # the tier's, then the run's own suites
    rows = [(c, final[parent.id].get(c), final[run.id].get(c)) for c in caps]
    task = [((r.summary or {}).get("task_accuracy") or {}).get("final") for r in (parent, run)]
    return {"changed": changed, "rows": rows, "task": task}


def _task_info(session, tier, run, task: str, user) -> tuple[TaskInfo, str]:
    """A tier's task, or an uploaded dataset described by its name only (all a shared run shows others of
    its owner's dataset); and how the page names it: a dataset by the name it was uploaded with, since its id
    (data:<hash>) tells a reader nothing (app/services/datasets.py naming_rows: whose row names it)."""
    if not is_dataset_task(task):
        return tier.tasks[task], task
    found = dataset_service.naming_rows(session, [run], user).get(run.id)
    if found is None:
        return (TaskInfo(task, "an uploaded dataset, no longer stored.", "your own data"),
                "an uploaded dataset (no longer stored)")
    whose = "your" if user is not None and found.owner_id == user.id else "an uploaded"
    return (TaskInfo(task, f'{whose} dataset "{found.name}".', "your own data"),
            dataset_service.task_label(found, user))


@router.get("/runs/{run_id}")
def run_page(request: Request, run: RunDep, session: SessionDep, user: CurrentUser):
    """Anyone who may see the run (RunDep); its buttons only for who may use them (no cancel or delete for an
    attempt's run); a queued run says where it stands in the queue."""
    # The run as this user sees it (an attempt's without its hidden settings) last, over ask_box's own `run`.
    context = {**ask_box(session, run, user), **_run_context(session, run, user),
               "can_manage": access.can_manage_run(session, user, run),
               "standing": queue.standing(session, state=request.app.state, run=run)}
    return page(request, "run.html", context, blocks=("run_header", "samples", "summary"))


@router.post("/runs/{run_id}/share")
def share_form(request: Request, run: ManagedRunDep, session: SessionDep, form: FormDep):
    """Share the run with everyone signed in, guests included, or stop: its owner or an instructor of their class."""
    runs.set_shared(session, run_id=run.id, shared=form.get("shared") == "true")
    return RedirectResponse(f"/runs/{run.id}", status_code=303)


@router.post("/runs/{run_id}/cancel")
def cancel_form(request: Request, run: ManagedRunDep, session: SessionDep, user: CurrentUser):
    """Its owner, or an instructor of their class (ManagedRunDep)."""
    run = run_service.cancel(session, state=request.app.state, run=run)
    if is_htmx(request):
        return page(request, "run.html", _run_context(session, run, user), blocks=("run_header",))
    return RedirectResponse(f"/runs/{run.id}", status_code=303)


@router.post("/runs/{run_id}/labels")
def label_form(request: Request, run: ManagedRunDep, session: SessionDep, user: CurrentUser, form: FormDep):
    """Rename, tag and annotate a run: its owner, or an instructor of their class (ManagedRunDep)."""
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
