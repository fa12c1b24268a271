"""Data functions over users' datasets: store one (once), read one, list them.

A dataset arrives here already validated whole (core.datasets.parse_jsonl), so storing it is one
insert: all or nothing. Its id is the hash of its pairs, so storing the same data again returns
the row already there, even when two uploads race.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from ..datasets import Dataset
from .models import StoredDataset, utcnow


def create_dataset(session: Session, *, dataset: Dataset, owner_id: int | None = None) -> tuple[StoredDataset, bool]:
    """(the row, True) when new; (the existing row, False) when these pairs are stored already (its owner
    stays the first uploader)."""
    existing = get_dataset(session, dataset_id=dataset.id)
    if existing is not None:
        return existing, False
    row = StoredDataset(id=dataset.id, name=dataset.name[:200], created_at=utcnow(), size_bytes=dataset.size_bytes,
                        pairs=[[p, r] for p, r in dataset.pairs], owner_id=owner_id)
    session.add(row)
    try:
        session.commit()
    except IntegrityError:  # the same data, stored by a concurrent upload since we looked
        session.rollback()
        return get_dataset(session, dataset_id=dataset.id), False
    return row, True


def get_dataset(session: Session, *, dataset_id: str) -> StoredDataset | None:
    return session.get(StoredDataset, dataset_id)


def list_datasets(session: Session, *, limit: int = 50, where=None) -> list[StoredDataset]:
    """Newest first, without loading their pairs (up to 2 MB each); `where` limits them to what the caller
    may see (core/store/access.py)."""
    query = select(StoredDataset).options(defer(StoredDataset.pairs))
    if where is not None:
        query = query.where(where)
    return list(session.scalars(query.order_by(StoredDataset.created_at.desc(), StoredDataset.id).limit(limit)))


def pairs_of(row: StoredDataset) -> list[tuple[str, str]]:
    """The stored pairs as the tiers take them: (prompt, response) tuples (JSON keeps lists)."""
    return [(p, r) for p, r in row.pairs]
