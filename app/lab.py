"""Actions shared by the JSON API and the HTML pages: submit or cancel a run or a sweep, find a preset,
upload a dataset."""

from __future__ import annotations

from contextlib import nullcontext
from functools import lru_cache

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from forgetlab.app import outbox
from forgetlab.core import checkpoints, datasets, quotas
from forgetlab.core.errors import Invalid
from forgetlab.core.grid import expand
from forgetlab.core.live import status_message
from forgetlab.core.presets import PRESETS
from forgetlab.core.scenario import Scenario, ScenarioError
from forgetlab.core.store import access, asks, runs, sweeps
from forgetlab.core.store.datasets import create_dataset, get_dataset, pairs_of
from forgetlab.core.store.models import (
    Assignment,
    AssignmentAttempt,
    Run,
    StoredDataset,
    Sweep,
    User,
)
from forgetlab.core.tiers.base import DATASET_PREFIX, is_dataset_task

# The whole request may be the file plus multipart framing and a name; anything larger is refused unread.
MAX_UPLOAD_BODY = datasets.MAX_BYTES + 64 * 1024


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


def _guard(session: Session, owner: User, limit: int, assignment: Assignment | None = None):
    """The check-and-insert lock (core/quotas.py) when a limit applies; nothing to wait for otherwise."""
    return quotas.exclusive(session, user=owner, assignment=assignment) if quotas.binds(owner, limit, assignment) \
        else nullcontext()


def submit(request: Request, session: Session, *, scenario: Scenario, owner: User, queue: str | None = None,
           assignment: Assignment | None = None) -> Run:
    """Store the run as `owner`'s and enqueue it. OverQuota when a student has too many waiting, or when an
    attempt on `assignment` is over its budgets; an attempt's row is stored with its run, in one commit.
    The checks and the insert are one critical section, so submissions at once cannot all slip under a limit."""
    check_datasets(session, [scenario])
    state = request.app.state
    limit = state.settings.max_active_runs
    with _guard(session, owner, limit, assignment):
        quotas.check_active(session, user=owner, limit=limit)
        if assignment is not None:
            quotas.check_budgets(session, assignment=assignment, user=owner)
        run = runs.new_run(scenario=scenario, queue=queue or state.settings.queue, preset=preset_of(scenario),
                           owner_id=owner.id)
        session.add(run)
        if assignment is not None:
            session.flush()  # the run's id, for its attempt
            # judged by the goal it is made under, whatever the goal becomes later (app/teaching.py)
            session.add(AssignmentAttempt(assignment_id=assignment.id, user_id=owner.id, run_id=run.id,
                                          goal=assignment.goal))
        session.commit()
    outbox.send(state, session, [run])  # the broker down: the run waits in the outbox, still queued
    return run


def cancel(request: Request, session: Session, *, run: Run) -> Run:
    """Queued: cancelled at once. Running: flagged, and the executor stops it (kill, or the worker's check)."""
    state = request.app.state
    if run.terminal:
        return run
    status = runs.request_cancel(session, run_id=run.id)
    if status == "cancelled":
        state.publisher.publish(run.id, status_message(runs.get_run(session, run_id=run.id)))
        checkpoints.drop(state.settings.data_dir, run.id)  # a retry waiting to resume: nothing to resume now
    state.executor.cancel(run.id)
    return runs.get_run(session, run_id=run.id)


def submit_sweep(request: Request, session: Session, *, spec: dict, owner: User, queue: str | None = None,
                 reuse: bool = True) -> Sweep:
    """Expand the grid (a ScenarioError names the bad field; nothing is stored), store it, enqueue new runs.

    Runs are enqueued in grid order; the executor fans them out over its workers (embedded: as many
    processes as cores, one torch thread each; distributed: every Celery worker on the queue)."""
    scenarios = expand(spec)
    check_datasets(session, scenarios)
    state = request.app.state
    limit = state.settings.max_active_runs
    with _guard(session, owner, limit):  # the count and the sweep's runs: one critical section
        quotas.check_active(session, user=owner, limit=limit, adding=len(scenarios))
        sweep, new = sweeps.create_sweep(session, spec=spec, scenarios=scenarios,
                                         queue=queue or state.settings.queue, preset_of=preset_of, reuse=reuse,
                                         owner_id=owner.id, reuse_where=access.run_filter(owner))  # runs it sees
    # Longest first: the last runs to start are then the short ones, so no core idles at the end
    # while one long run finishes alone (grid order is only how the sweep is shown).
    outbox.send(state, session, sorted(new, key=lambda r: -r.total_steps))
    return sweep


def cancel_sweep(request: Request, session: Session, *, sweep: Sweep) -> None:
    """Cancel every grid point that has not ended; reused runs have, so they are never touched."""
    for run in sweeps.unique_runs(sweeps.members(session, sweep_id=sweep.id)):
        if not run.terminal:
            cancel(request, session, run=run)


async def read_upload(request: Request) -> tuple[bytes, str]:
    """The uploaded file (multipart field `file`) and the dataset's name (field `name`, else the file's).

    The size is checked before reading when the client declares it (Content-Length), and while
    reading either way, so an oversized upload is refused without being held in memory or on disk."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BODY:
        raise datasets.TooLarge(int(declared))
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise Invalid("send the dataset as a multipart/form-data upload, in the field `file`", "file")

    async def limited():
        seen = 0
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > MAX_UPLOAD_BODY:
                raise datasets.TooLarge()
            yield chunk

    try:
        form = await MultiPartParser(request.headers, limited(), max_files=1, max_fields=8).parse()
    except MultiPartException as e:
        raise Invalid(f"the upload could not be read: {e.message}", "file") from None
    try:
        upload, name = form.get("file"), form.get("name")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Invalid("choose a JSONL file to upload", "file")
        data = await upload.read()
        if not isinstance(name, str) or not name.strip():
            name = (upload.filename.rsplit("/", 1)[-1].removesuffix(".jsonl") or "dataset")[:200]
        elif len(name.strip()) > 200:
            raise Invalid("a dataset name is at most 200 characters", "name")
        return data, name.strip()
    finally:
        await form.close()


async def upload_dataset(request: Request, session: Session, *, owner: User) -> tuple[StoredDataset, bool]:
    """Validate the whole upload, then store it as `owner`'s: (row, created). TooLarge, DatasetError or Invalid
    say why not, and then nothing is stored. Storing the same pairs again returns the existing row."""
    data, name = await read_upload(request)
    return create_dataset(session, dataset=datasets.parse_jsonl(data, name), owner_id=owner.id)


def dataset_summary(row: StoredDataset) -> dict:
    """A stored dataset without its pairs: what lists show."""
    return {"id": row.id, "task": DATASET_PREFIX + row.id, "name": row.name, "created_at": row.created_at,
            "size_bytes": row.size_bytes, "url": f"/api/datasets/{row.id}"}


def dataset_view(row: StoredDataset, preview: int = 0) -> dict:
    """A stored dataset with its split sizes, and the first `preview` pairs of each split."""
    splits = datasets.split(pairs_of(row))
    view = {**dataset_summary(row), "counts": datasets.counts(splits)}
    if preview:
        view["preview"] = {k: [{"prompt": p, "response": r} for p, r in v[:preview]] for k, v in splits.items()}
    return view


def ask(request: Request, session: Session, *, run: Run, prompt: str, owner: User):
    """Store a question to the run's model and send it to a worker on the run's queue. Only a finished run
    has a saved model; the question is refused before it is stored otherwise."""
    if run.status != "succeeded":
        raise Invalid(f"the run is {run.status}: its model can be asked once the run has succeeded", "prompt")
    question = asks.create_ask(session, run_id=run.id, prompt=prompt, owner_id=owner.id)
    try:
        request.app.state.executor.submit_ask(question.id, run.queue)
    except Exception as e:  # the broker is down: the question says so rather than waiting forever
        asks.answer(session, ask_id=question.id, error=f"no worker could be reached ({type(e).__name__}); ask again")
        session.refresh(question)
    return question
