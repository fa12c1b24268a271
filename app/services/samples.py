"""A run's sample answers as a viewer may see them.

A sample shows a probe whole (its prompt and expected answer), so the probes of an uploaded dataset (the run's
task) and of an engineer's own suite reach only those who may use that dataset or suite: the run's owner, a
class's students and instructor for the dataset of an assignment they attempt or set, the suite's owner. Anyone
else who sees the run (shared, or its owner's instructor) sees the other samples, and those names only, as the
run page names them (docs/security.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from forgetlab.core.store import classes, runs
from forgetlab.core.store.models import Run, User
from forgetlab.core.store.suites import get_suite, suite_by_id
from forgetlab.core.tiers.base import is_dataset_task

from .runs import usable_dataset


@dataclass(frozen=True)
class ShownSamples:
    step: int
    samples: list[dict]


def private_names(session: Session, run: Run, user: User | None) -> set[str]:
    """The capability names of `run`'s samples that `user` may not see: its dataset task's, unless they may train
    on that dataset, and each suite's that is not theirs."""
    hidden = set()
    task = str(run.config.get("task", ""))
    if is_dataset_task(task):
        attempt = classes.attempt_of_run(session, run_id=run.id)
        assignment = classes.get_assignment(session, assignment_id=attempt.assignment_id) if attempt else None
        if usable_dataset(session, task, user, assignment) is None:
            hidden.add(task)
    for suite_id in run.config.get("suites") or []:
        if user is None or get_suite(session, suite_id=suite_id, owner_id=user.id) is None:
            row = suite_by_id(session, suite_id=suite_id)
            hidden.add(row.name if row is not None else suite_id)
    return hidden


def latest(session: Session, run: Run, user: User | None) -> ShownSamples | None:
    """The run's latest sample set as `user` may see it; None before the first."""
    found = runs.latest_samples(session, run_id=run.id)
    if found is None:
        return None
    hidden = private_names(session, run, user)
    return ShownSamples(found.step, [s for s in found.samples if s.get("capability") not in hidden])
