"""Datasets people bring: store a validated upload, and what lists and pages show of one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from forgetlab.core import datasets
from forgetlab.core.store.datasets import create_dataset, pairs_of
from forgetlab.core.store.models import StoredDataset, User
from forgetlab.core.tiers import get_tier
from forgetlab.core.tiers.base import DATASET_PREFIX, is_dataset_task


def upload(session: Session, *, data: bytes, name: str, owner: User,
           tier: str | None = None) -> tuple[StoredDataset, bool]:
    """Validate the whole file (against `tier`'s vocabulary too, when given), then store it as `owner`'s:
    (row, created). DatasetError says why not (every bad line), and then nothing is stored. Storing the same
    pairs again returns the existing row."""
    vocabulary = datasets.vocabulary_of(get_tier(tier)) if tier else None
    return create_dataset(session, dataset=datasets.parse_jsonl(data, name, vocabulary), owner_id=owner.id)


def task_label(row: StoredDataset, user: User | None) -> str:
    """How a run's dataset task is named to people: by the name it was uploaded with (its id, data:<hash>, tells a
    reader nothing), and whose it is; never its pairs."""
    mine = user is not None and row.owner_id == user.id
    return f'"{row.name}" ({"your" if mine else "uploaded"} data)'


def task_names(session: Session, configs: list[dict], user: User | None) -> dict[str, tuple[str, str]]:
    """{dataset task: (its dataset's name, task_label)} for the dataset tasks these configs name, in one query:
    what lists show in place of data:<id>. A dataset no longer stored is left out (shown by its id)."""
    ids = {c["task"].removeprefix(DATASET_PREFIX) for c in configs if is_dataset_task(str(c.get("task", "")))}
    if not ids:
        return {}
    rows = session.scalars(select(StoredDataset).options(defer(StoredDataset.pairs)).where(StoredDataset.id.in_(ids)))
    return {DATASET_PREFIX + row.id: (row.name, task_label(row, user)) for row in rows}


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
