"""Datasets people bring: store a validated upload, and what lists and pages show of one."""

from __future__ import annotations

from sqlalchemy.orm import Session

from forgetlab.core import datasets
from forgetlab.core.store import classes
from forgetlab.core.store.datasets import create_dataset, datasets_by_id, pairs_of
from forgetlab.core.store.models import StoredDataset, User
from forgetlab.core.tiers import get_tier
from forgetlab.core.tiers.base import DATASET_PREFIX, is_dataset_task


def upload(session: Session, *, data: bytes, name: str, owner: User,
           tier: str | None = None) -> tuple[StoredDataset, bool]:
    """Validate the whole file (against `tier`'s vocabulary too, when given), then store it as `owner`'s:
    (row, created). DatasetError says why not (every bad line), and then nothing is stored. The owner storing
    the same pairs again gets their existing row; someone else's upload of them is no concern of theirs."""
    vocabulary = datasets.vocabulary_of(get_tier(tier)) if tier else None
    return create_dataset(session, dataset=datasets.parse_jsonl(data, name, vocabulary), owner_id=owner.id)


def task_label(row: StoredDataset, user: User | None) -> str:
    """How a run's dataset task is named to people: by the name it was uploaded with (its id, data:<hash>, tells a
    reader nothing), and whose it is; never its pairs."""
    mine = user is not None and row.owner_id == user.id
    return f'"{row.name}" ({"your" if mine else "uploaded"} data)'


def naming_rows(session: Session, runs: list, user: User | None) -> dict[int, StoredDataset]:
    """{run id: the dataset row it is named by} for the runs that train on an uploaded dataset, in two queries.
    The same pairs may be several owners' rows (core/store/datasets.py): a run is named as its viewer uploaded
    them, else as its owner did, else (an attempt on its instructor's dataset) as the class's instructor did,
    else as the first uploader did (a run from before migration 0024 on someone else's dataset). A dataset
    no longer stored is left out (shown by its id)."""
    keys = {run.id: str(run.config.get("task", "")) for run in runs}
    keys = {run_id: task.removeprefix(DATASET_PREFIX) for run_id, task in keys.items() if is_dataset_task(task)}
    if not keys:
        return {}
    rows: dict[tuple[str, int | None], StoredDataset] = {}
    first: dict[str, StoredDataset] = {}
    for row in datasets_by_id(session, dataset_ids=set(keys.values())):
        rows.setdefault((row.id, row.owner_id), row)
        first.setdefault(row.id, row)
    unowned = [run.id for run in runs if run.id in keys and (keys[run.id], run.owner_id) not in rows]
    instructors = classes.attempt_instructors(session, run_ids=unowned)
    viewer = user.id if user is not None else None
    named = {}
    for run in (r for r in runs if r.id in keys):
        whose = [owner for owner in (viewer, run.owner_id, instructors.get(run.id)) if owner is not None]
        key = keys[run.id]
        found = next((rows[key, owner] for owner in whose if (key, owner) in rows), first.get(key))
        if found is not None:
            named[run.id] = found
    return named


def task_names(session: Session, runs: list, user: User | None) -> dict[int, tuple[str, str]]:
    """{run id: (its dataset's name, task_label)} for the runs that train on an uploaded dataset (naming_rows):
    what lists show in place of data:<id>."""
    return {run_id: (row.name, task_label(row, user)) for run_id, row in naming_rows(session, runs, user).items()}


def summary(row: StoredDataset) -> dict:
    """A stored dataset without its pairs: what lists show."""
    return {"id": row.id, "task": DATASET_PREFIX + row.id, "name": row.name, "created_at": row.created_at,
            "size_bytes": row.size_bytes, "url": f"/api/datasets/{row.id}"}


def view(row: StoredDataset, preview: int = 0) -> dict:
    """A stored dataset with its split sizes, and the first `preview` pairs of each split."""
    splits = datasets.split(pairs_of(row))
    shown = {**summary(row), "counts": datasets.counts(splits)}
    if preview:
        shown["preview"] = {k: [{"prompt": p, "response": r} for p, r in v[:preview]] for k, v in splits.items()}
    return shown
