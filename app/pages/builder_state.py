"""The builder's state from a query or a posted form: the scenario (or every field's error), the sweep rows,
a dataset task's dataset, the presets and the queues. The builder page (builder.py), its upload (upload.py)
and the sweep form (sweeps.py) render templates/builder.html from it."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request

from forgetlab.app.auth import viewer

from forgetlab.core.presets import PRESETS, presets_for, scenario_from
from forgetlab.core.scenario import Scenario, ScenarioError
from forgetlab.core.tiers import DEFAULT_TIER, all_tiers, get_tier
from forgetlab.core.tiers.base import is_dataset_task

from ..services import datasets as dataset_service
from ..services.runs import check_datasets, preset_of, usable_dataset
from ..views.reading import LEARNING_PATH, preset_values
from . import sweep_form
from .forms import form_values, grouped_specs, parse_items, raw_query, scenario_query

QUEUES = ("cpu", "gpu")  # Celery queues a run may go to (distributed mode only)


def builder_context(request: Request, items: list[tuple[str, str]], session=None) -> dict:
    """The builder's state from query or form pairs; with a session, a dataset task is looked up too."""
    data, errors = parse_items(items)
    tier = get_tier(data["tier"]) if data.get("tier") in all_tiers() else get_tier(DEFAULT_TIER)
    scenario: Scenario | None = None
    try:  # every field's error at once: one that could not be read does not hide another's range
        parsed = scenario_from(None, None, data)  # a tier picked on its own starts from its default task
        scenario = None if errors else parsed
    except ScenarioError as e:
        errors = {**e.errors, **errors}
    if scenario is not None and session is not None:
        try:
            check_datasets(session, [scenario], viewer(request))
        except ScenarioError as e:  # a dataset task whose dataset is not stored
            scenario, errors = None, e.errors
    query = scenario_query(scenario) if scenario else raw_query(items)
    sweep = sweep_form.state(items, scenario)
    if sweep["query"]:  # the address holds the sweep rows too
        query = "&".join(q for q in (query, urlencode(sweep["query"])) if q)
    shown = scenario.model_dump(mode="json") if scenario else {"task": tier.default_task, **data}
    task = str(shown["task"])
    dataset = stored_dataset(session, task, viewer(request))
    settings = request.app.state.settings
    return {"groups": grouped_specs(), "values": form_values(shown), "errors": errors, "scenario": scenario,
            "query": query, "preset_groups": [(t.title, presets_for(name)) for name, t in all_tiers().items()],
            "current": preset_of(scenario) if scenario else None, "tier": tier, "tasks": tier.tasks,
            "sweep": sweep, "preset_values": preset_values, "presets": PRESETS, "learning_path": LEARNING_PATH,
            # A dataset task is no tier task: the task select gets an option for it (templates/fields.html).
            "extra_task": (task, f"{task} ({dataset['name']})" if dataset else task) if is_dataset_task(task) else None,
            "dataset": dataset,
            "queues": QUEUES if settings.distributed else (), "default_queue": settings.queue}


def stored_dataset(session, task: str, user) -> dict | None:
    """The stored dataset a task names, as the builder shows it (name, split sizes), if `user` may use it
    (app/services/runs.py usable_dataset): nothing of another user's dataset, not even that it exists."""
    row = usable_dataset(session, task, user) if session is not None else None
    return dataset_service.view(row) if row else None


def queue_of(form, context: dict) -> str | None:
    """The queue a posted form picked, if it is one the builder offered (else the lab's default)."""
    return form.get("queue") if form.get("queue") in context["queues"] else None
