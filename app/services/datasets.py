"""Datasets people bring: store a validated upload, and what lists and pages show of one."""

from __future__ import annotations

from sqlalchemy.orm import Session

from forgetlab.core import datasets
from forgetlab.core.store.datasets import create_dataset, pairs_of
from forgetlab.core.store.models import StoredDataset, User
from forgetlab.core.tiers import get_tier
from forgetlab.core.tiers.base import DATASET_PREFIX


def upload(session: Session, *, data: bytes, name: str, owner: User,
           tier: str | None = None) -> tuple[StoredDataset, bool]:
    """Validate the whole file (against `tier`'s vocabulary too, when given), then store it as `owner`'s:
    (row, created). DatasetError says why not (every bad line), and then nothing is stored. Storing the same
    pairs again returns the existing row."""
    vocabulary = datasets.vocabulary_of(get_tier(tier)) if tier else None
    return create_dataset(session, dataset=datasets.parse_jsonl(data, name, vocabulary), owner_id=owner.id)


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
