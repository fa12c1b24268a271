"""Runs: submit one (checked against the quotas and budgets), cancel one, some or all of a user's queued runs,
delete an ended one; and which preset a scenario is.

An attempt's run is a record (docs/instructors.md): neither its student nor anyone else cancels or deletes it
(Conflict, 409, saying why). Its class's instructor voids the attempt instead (app/services/attempts.py),
which stops the run too; the instructor's class-wide and assignment-wide actions stop runs with `stop`."""

from __future__ import annotations

from contextlib import nullcontext
from functools import lru_cache

from sqlalchemy.orm import Session, sessionmaker

from forgetlab.core import artifacts, checkpoints, datasets, quotas
from forgetlab.core.datasets import is_dataset_id
from forgetlab.core.errors import Conflict, Invalid
from forgetlab.core.holdout import Holdout
from forgetlab.core.live import Status
from forgetlab.core.presets import PRESETS
from forgetlab.core.scenario import Scenario, ScenarioError
from forgetlab.core.store import access, accounts, classes, runs
from forgetlab.core.store import external as external_store
from forgetlab.core.store.datasets import pairs_of, visible_dataset
from forgetlab.core.store.models import Assignment, AssignmentAttempt, Run, User
from forgetlab.core.tiers import get_tier
from forgetlab.core.tiers.base import DATASET_PREFIX, is_dataset_task

from . import outbox
from .suites import check_suites


@lru_cache
def _preset_hashes() -> dict[str, str]:
    return {p.scenario().canonical_hash(): name for name, p in PRESETS.items()}


def preset_of(scenario: Scenario) -> str | None:
    """The preset this exact scenario is, if any: runs are labelled by content, not by how they were made."""
    return _preset_hashes().get(scenario.canonical_hash())


def usable_dataset(session: Session, task: str, user: User | None, assignment: Assignment | None = None):
    """The stored dataset a dataset task names, if `user` may train on it: their own row of it (or one they see
    by core/store/access.py's rules), or, for an attempt at an assignment whose task it is, the row its class's
    instructor may use (they attached it for the class). None for a task that names no dataset, an unknown
    one, and another user's alike."""
    key = task.removeprefix(DATASET_PREFIX)
    if user is None or not is_dataset_task(task) or not is_dataset_id(key):
        return None
    row = visible_dataset(session, dataset_id=key, where=access.dataset_filter(user), owner_id=user.id)
    if row is None and assignment is not None and ((assignment.template or {}).get("base") or {}).get("task") == task:
        room = classes.get_class(session, class_id=assignment.class_id)
        instructor = accounts.get_user(session, user_id=room.instructor_id) if room else None
        return usable_dataset(session, task, instructor) if instructor is not None else None
    return row


def check_datasets(session: Session, scenarios: list[Scenario], user: User | None,
                   assignment: Assignment | None = None) -> None:
    """check_dataset_tasks, then the scenarios' own suites (check_suites): both checked where they are stored."""
    check_dataset_tasks(session, scenarios, user, assignment)
    check_suites(session, scenarios, user)


def check_dataset_tasks(session: Session, scenarios: list[Scenario], user: User | None,
                        assignment: Assignment | None = None) -> None:
    """A scenario may name a dataset task only if that dataset is stored, `user` may train on it
    (usable_dataset), and it is in its tier's words when the tier's tokenizer is word-level: the schema checks
    only the task's form (it has no database), so this is where a run, sweep or assignment naming an unknown
    dataset, or another user's, stops, rather than the run failing on its first batch. Unknown and another
    user's answer alike (422 naming `task`), so the answer does not tell whether someone else's dataset has
    that id."""
    for task, tier in dict.fromkeys((s.task, s.tier) for s in scenarios):
        if not is_dataset_task(task):
            continue
        row = usable_dataset(session, task, user, assignment)
        if row is None:
            raise ScenarioError({"task": f"no uploaded dataset is called {task} that you may use; upload the file "
                                         "first"})
        vocabulary = datasets.vocabulary_of(get_tier(tier))
        unknown = vocabulary and vocabulary.unknown(" ".join(p + " " + r for p, r in pairs_of(row)))
        if unknown:
            raise ScenarioError({"task": f"dataset {row.name!r} uses {vocabulary.reason(unknown)}: "
                                         f"upload the file with its tier chosen to see each line that does"})


def quota_lock(session: Session, *, owner: User, limit: int, assignment: Assignment | None = None):
    """The check-and-insert lock (core/quotas.py) when a limit applies; nothing to wait for otherwise."""
    return quotas.exclusive(session, user=owner, assignment=assignment) if quotas.binds(owner, limit, assignment) \
        else nullcontext()


def address_peers(session: Session, *, state, owner: User, address: str | None) -> list[int] | None:
    """On a public lab, the accounts whose runs count with `owner`'s against the per-address limit (all that
    submitted from `address` lately, owner included); None where that limit does not apply."""
    limit = state.settings.max_active_runs_per_address
    if address is None or not state.settings.login_required or not quotas.binds_address(session, user=owner,
                                                                                        limit=limit):
        return None
    return state.throttles.addresses.note(address, owner.id)


def submit(session: Session, *, state, scenario: Scenario, owner: User, queue: str | None = None,
           assignment: Assignment | None = None, address: str | None = None) -> Run:
    """Store the run as `owner`'s and enqueue it. OverQuota when a student has too many waiting (alone, or with
    the other accounts at `address` on a public lab), or when an attempt on `assignment` is over its budgets; an
    attempt's row is stored with its run, in one commit. The checks and the insert are one critical section, so
    submissions at once cannot all slip under a limit."""
    check_datasets(session, [scenario], owner, assignment)
    limit = state.settings.max_active_runs
    peers = address_peers(session, state=state, owner=owner, address=address)
    with quota_lock(session, owner=owner, limit=limit, assignment=assignment):
        quotas.check_active(session, user=owner, limit=limit)
        if peers:
            quotas.check_address(session, user_ids=peers, limit=state.settings.max_active_runs_per_address)
        if assignment is not None:
            quotas.check_budgets(session, assignment=assignment, user=owner)
        run = runs.new_run(scenario=scenario, queue=queue or state.settings.queue, preset=preset_of(scenario),
                           owner_id=owner.id)
        if assignment is not None and assignment.private_share:  # measured with its held-out split (core/holdout.py)
            run.holdout = Holdout(assignment.private_share, assignment.private_salt).to_json()
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
    state.publisher.publish(run_id, Status.of(runs.get_run(session, run_id=run_id)))
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
    if run.external:  # no executor holds it: it ends now, and its training process's next point is refused
        run = external_store.end(session, run=run, status="cancelled", error="cancelled on the lab")
        state.publisher.publish(run.id, Status.of(run))
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
    attempt is a record), with its points, samples, questions, saved model and any checkpoint file; Invalid or
    Conflict says why not. The API and the run page both delete through here."""
    refuse_attempt_run(session, run, "deleted")
    if not run.terminal:
        raise Invalid(f"run {run.id} is {run.status}: cancel it first", "run")
    held = runs.sweeps_of(session, run_id=run.id)
    if held:
        raise Invalid(f"run {run.id} is part of sweep {', '.join(map(str, held))}; a sweep keeps its runs", "run")
    artifacts.drop(settings, run.id, sessionmaker(session.get_bind()))  # before the row: it names the stored files
    runs.delete_run(session, run_id=run.id)
    checkpoints.drop(settings.data_dir, run.id)
