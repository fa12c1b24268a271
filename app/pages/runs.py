"""The runs list (/runs): the runs a user may see, filtered and sorted by query keys, so a list is a link."""

from __future__ import annotations

from fastapi import APIRouter, Request

from forgetlab.app.auth import CurrentUser
from forgetlab.app.deps import SessionDep
from forgetlab.app.services import datasets as dataset_service
from forgetlab.app.services import hidden
from forgetlab.core.presets import PRESETS
from forgetlab.core.store import access, runs
from forgetlab.core.store.models import STATUSES
from forgetlab.core.tiers import all_tiers

from ..views.reading import headline
from .render import page

router = APIRouter(include_in_schema=False)

FILTERS = ("status", "preset", "task", "tier", "tag", "sort")


@router.get("/runs")
def runs_list(request: Request, session: SessionDep, user: CurrentUser):
    """Anyone signed in: the runs they may see (attempts' hidden settings left out). Filters and the sort are
    query keys, so a filtered list is a link."""
    # Checkboxes pick runs to compare; hx-preserve keeps them ticked across the table's refreshes.
    chosen = {k: request.query_params.get(k) or None for k in FILTERS}
    if chosen["sort"] not in runs.SORTS:
        chosen["sort"] = "newest"
    found = hidden.shown(session, user, runs.find_runs(session, **chosen, limit=100, where=access.run_filter(user)))
    # never an attempt's run: "repeat of" it would tell its student the settings its assignment hides
    first = runs.first_runs(session, hashes=[r.config_hash for r in found], where=access.reusable_filter(user))
    names = dataset_service.task_names(session, found, user)  # run id -> its data:<id>'s name
    rows = [{"run": run, "headline": headline(run.summary), "tags": runs.tags_of(run),
             "task": names.get(run.id, (None, None))[1],
             "repeat_of": first.get(run.config_hash) if first.get(run.config_hash, run.id) < run.id else None}
            for run in found]  # a masked run's hash is "hidden": no "repeat of" for it
    active = any(not row["run"].terminal for row in rows)
    options = {"status": list(STATUSES), "preset": list(PRESETS), "tier": list(all_tiers()),
               "task": sorted({t for tier in all_tiers().values() for t in tier.tasks}),
               "sort": list(runs.SORTS)}
    return page(request, "runs.html", {"rows": rows, "active": active, "chosen": chosen, "options": options,
                                       "filtered": any(chosen[k] for k in FILTERS if k != "sort")},
                blocks=("runs_table",))
