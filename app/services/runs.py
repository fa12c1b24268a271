"""Runs: submit one (checked against the quotas and budgets), cancel one, some or all of a user's queued runs,
delete an ended one; and which preset a scenario is.

An attempt's run is a record (docs/instructors.md): neither its student nor anyone else cancels or deletes it
(Conflict, 409, saying why). Its class's instructor voids the attempt instead (app/services/attempts.py),
which stops the run too; the instructor's class-wide and assignment-wide actions stop runs with `stop`."""

from __future__ import annotations

import shutil
from contextlib import nullcontext
from functools import lru_cache

from sqlalchemy.orm import Session

from forgetlab.core import checkpoints, quotas
from forgetlab.core.errors import Conflict, Invalid
from forgetlab.core.live import status_message
from forgetlab.core.presets import PRESETS
from forgetlab.core.scenario import Scenario, ScenarioError
from forgetlab.core.store import classes, runs
from forgetlab.core.store.datasets import get_dataset
from forgetlab.core.store.models import Assignment, AssignmentAttempt, Run, User
from forgetlab.core.tiers.base import DATASET_PREFIX, is_dataset_task

from . import outbox


@lru_cache
def _preset_hashes() -> dict[str, str]:
    return {p.scenario().canonical_hash(): name for name, p in PRESETS.items()}


def preset_of(scenario: Scenario) -> str | None:
    """The preset this exact scenario is, if any: runs are labelled by content, not by how they were made."""
    return _preset_hashes().get(scenario.canonical_hash())


def check_datasets(session: Session, scenarios: list[Scenario]) -> None:
    """A scenario may name a dataset task only if that dataset is stored: the schema checks only the
    task's form (it has no database), so this is where a run or sweep naming an unknown one stops."""
    for task in dict.fromkeys(s.task for s in scenarios):
        if is_dataset_task(task) and get_dataset(session, dataset_id=task.removeprefix(DATASET_PREFIX)) is None:
            raise ScenarioError({"task": f"no uploaded dataset is called {task}; upload the file first"})


def quota_lock(session: Session, *, owner: User, limit: int, assignment: Assignment | None = None):
    """The check-and-insert lock (core/quotas.py) when a limit applies; nothing to wait for otherwise."""
    return quotas.exclusive(session, user=owner, assignment=assignment) if quotas.binds(owner, limit, assignment) \
        else nullcontext()


def submit(session: Session, *, state, scenario: Scenario, owner: User, queue: str | None = None,
           assignment: Assignment | None = None) -> Run:
    """Store the run as `owner`'s and enqueue it. OverQuota when a student has too many waiting, or when an
    attempt on `assignment` is over its budgets; an attempt's row is stored with its run, in one commit.
    The checks and the insert are one critical section, so submissions at once cannot all slip under a limit."""
    check_datasets(session, [scenario])
    limit = state.settings.max_active_runs
    with quota_lock(session, owner=owner, limit=limit, assignment=assignment):
        quotas.check_active(session, user=owner, limit=limit)
        if assignment is not None:
            quotas.check_budgets(session, assignment=assignment, user=owner)
        run = runs.new_run(scenario=scenario, queue=queue or state.settings.queue, preset=preset_of(scenario),
                           owner_id=owner.id)
        session.add(run)
        if assignment is not None:
            session.flush()  # the run's id, for its attempt
            # judged by the goal it is made under, whatever the goal becomes later (services/attempts.py)
            session.add(AssignmentAttempt(assignment_id=assignment.id, user_id=owner.id, run_id=run.id,
                                          goal=assignment.goal))
        session.commit()
    outbox.send(state, session, [run])  # the broker down: the run waits in the outbox, still queued
    return run


def _cancelled(state, session: Session, run_id: int) -> None:
    """What follows a run cancelled while queued: its viewers hear it, and a checkpoint waiting for a retry
    (nothing will resume it now) goes."""
    state.publisher.publish(run_id, status_message(runs.get_run(session, run_id=run_id)))
    checkpoints.drop(state.settings.data_dir, run_id)


def refuse_attempt_run(session: Session, run: Run, doing: str) -> None:
    """Conflict when `run` is an attempt's: attempts are records, so their runs are kept."""
    attempt = classes.attempt_of_run(session, run_id=run.id)
    if attempt is not None:
        raise Conflict(f"run {run.id} is an attempt at assignment {attempt.assignment_id}, and attempts are kept as "
                       f"records: it cannot be {doing}. The class's instructor may void the attempt, with a "
                       "reason (that also stops its run).", "run")


def cancel(session: Session, *, state, run: Run) -> Run:
    """Cancel a run that is no attempt's (Conflict for one that is): see `stop`."""
    refuse_attempt_run(session, run, "cancelled")
    return stop(session, state=state, run=run)


def stop(session: Session, *, state, run: Run) -> Run:
    """Queued: cancelled at once. Running: flagged, and the executor stops it (kill, or the worker's check)."""
    if run.terminal:
        return run
    if runs.request_cancel(session, run_id=run.id) == "cancelled":
        _cancelled(state, session, run.id)
    state.executor.cancel(run.id)
    return runs.get_run(session, run_id=run.id)


def cancel_many(session: Session, *, state, run_ids: list[int]) -> int:
    """Cancel each of these runs (a class's or an assignment's queued attempts); returns how many were
    cancelled at once (queued ones; a running one is only flagged)."""
    return sum(stop(session, state=state, run=session.get(Run, run_id)).status == "cancelled" for run_id in run_ids)


def cancel_queued(session: Session, *, state, owner: User, run_ids: list[int] | None = None) -> list[int]:
    """Cancel every queued run `owner` owns (or those of `run_ids` among them); running ones are not touched.
    Returns the cancelled runs' ids, in id order."""
    done = runs.cancel_all_queued(session, owner_id=owner.id, run_ids=run_ids)
    for run_id in done:
        _cancelled(state, session, run_id)
        state.executor.cancel(run_id)  # leaves the local line at once; a Celery worker skips it on arrival
    return done


def delete(session: Session, *, settings, run: Run) -> None:
    """Delete a run that has ended and that no sweep or attempt holds (a sweep would lose a grid point, an
    attempt is a record), with its points, samples and saved model; Invalid or Conflict says why not."""
    refuse_attempt_run(session, run, "deleted")
    if not run.terminal:
        raise Invalid(f"run {run.id} is {run.status}: cancel it first", "run")
    held = runs.sweeps_of(session, run_id=run.id)
    if held:
        raise Invalid(f"run {run.id} is part of sweep {', '.join(map(str, held))}; a sweep keeps its runs", "run")
    runs.delete_run(session, run_id=run.id)
    shutil.rmtree(settings.run_model_dir(run.id), ignore_errors=True)
