"""Data functions over users' datasets: store one (its pairs once, a row per owner), read one, list them.

A dataset arrives here already validated whole (core.datasets.parse_jsonl). Its id is the hash of its pairs,
so the pairs are stored once however many upload them (DatasetContent), and each uploader gets their own row
(StoredDataset) under the name they gave it: the same pairs uploaded by two users are two datasets, each
private to its owner (migration 0024). Every lookup for people is by owner or by an access rule
(core/store/access.py); only the worker reads the pairs by id alone.
"""

from __future__ import annotations

from sqlalchemy import case, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..datasets import Dataset
from .models import DatasetContent, StoredDataset, utcnow


def create_dataset(session: Session, *, dataset: Dataset, owner_id: int | None = None) -> tuple[StoredDataset, bool]:
    """(the owner's new row, True); or (their existing row, False) when they stored these pairs already. The
    pairs are stored only if nobody stored them before."""
    existing = get_dataset(session, dataset_id=dataset.id, owner_id=owner_id)
    if existing is not None:
        return existing, False
    if session.get(DatasetContent, dataset.id) is None:
        session.add(DatasetContent(id=dataset.id, created_at=utcnow(), pairs=[[p, r] for p, r in dataset.pairs]))
        try:
            session.commit()
        except IntegrityError:  # the same pairs, stored by a concurrent upload since we looked
            session.rollback()
    row = StoredDataset(id=dataset.id, owner_id=owner_id, name=dataset.name[:200], created_at=utcnow(),
                        size_bytes=dataset.size_bytes)
    session.add(row)
    try:
        session.commit()
    except IntegrityError:  # the owner's own concurrent upload of the same pairs
        session.rollback()
        return get_dataset(session, dataset_id=dataset.id, owner_id=owner_id), False
    return row, True


def get_dataset(session: Session, *, dataset_id: str, owner_id: int | None) -> StoredDataset | None:
    """The owner's dataset of that id (owner_id None: the one uploaded before accounts); None for an unknown id
    and for another owner's alike."""
    owner = StoredDataset.owner_id.is_(None) if owner_id is None else StoredDataset.owner_id == owner_id
    return session.scalars(select(StoredDataset).where(StoredDataset.id == dataset_id, owner).limit(1)).first()


def visible_dataset(session: Session, *, dataset_id: str, where, owner_id: int | None = None) -> StoredDataset | None:
    """A row of that id that `where` admits (core/store/access.py's dataset_filter): `owner_id`'s own first, else
    the earliest; None when it admits none."""
    mine = case((StoredDataset.owner_id == owner_id, 0), else_=1) if owner_id is not None else None
    query = select(StoredDataset).where(StoredDataset.id == dataset_id, where)
    order = [StoredDataset.created_at, StoredDataset.link_id] if mine is None else [mine, StoredDataset.created_at,
                                                                                     StoredDataset.link_id]
    return session.scalars(query.order_by(*order).limit(1)).first()


def datasets_by_id(session: Session, *, dataset_ids: set[str]) -> list[StoredDataset]:
    """Every owner's row of these ids, earliest first: how runs that train on them are labelled (their names)."""
    query = select(StoredDataset).where(StoredDataset.id.in_(dataset_ids))
    return list(session.scalars(query.order_by(StoredDataset.created_at, StoredDataset.link_id)))


def list_datasets(session: Session, *, limit: int = 50, where=None) -> list[StoredDataset]:
    """Newest first (rows only: their pairs stay in DatasetContent, up to 2 MB each); `where` limits them to
    what the caller may see (core/store/access.py)."""
    query = select(StoredDataset)
    if where is not None:
        query = query.where(where)
    order = (StoredDataset.created_at.desc(), StoredDataset.link_id.desc())
    return list(session.scalars(query.order_by(*order).limit(limit)))


def stored_pairs(session: Session, *, dataset_id: str) -> list[tuple[str, str]] | None:
    """The pairs of that id, or None when they are not stored: for the worker training a run whose submission
    checked that its owner may use them (every owner's row names the same pairs)."""
    content = session.get(DatasetContent, dataset_id)
    return None if content is None else _tuples(content.pairs)


def pairs_of(row: StoredDataset) -> list[tuple[str, str]]:
    """An owner's dataset's pairs as the tiers take them: (prompt, response) tuples (JSON keeps lists)."""
    return _tuples(row.content.pairs)


def _tuples(pairs: list) -> list[tuple[str, str]]:
    return [(p, r) for p, r in pairs]
