"""Data functions over engineers' own suites: store one (once per owner), read one, list an owner's.

A suite arrives validated whole (core.suites.parse_suite), so storing it is one insert: all or nothing.
Every lookup is by owner: another engineer's suite is, to a caller, the same as no suite.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from ..suites import UserSuite
from .models import StoredSuite, utcnow


def create_suite(session: Session, *, suite: UserSuite, owner_id: int) -> tuple[StoredSuite, bool]:
    """(the row, True) when new; (the owner's existing row, False) when they stored this suite already."""
    existing = get_suite(session, suite_id=suite.id, owner_id=owner_id)
    if existing is not None:
        return existing, False
    row = StoredSuite(id=suite.id, owner_id=owner_id, name=suite.name, created_at=utcnow(),
                      size_bytes=suite.size_bytes, items=suite.items)
    session.add(row)
    try:
        session.commit()
    except IntegrityError:  # the same suite, stored by a concurrent upload of the owner's since we looked
        session.rollback()
        return get_suite(session, suite_id=suite.id, owner_id=owner_id), False
    return row, True


def get_suite(session: Session, *, suite_id: str, owner_id: int | None) -> StoredSuite | None:
    """The owner's suite of that id; None for an unknown id and for another owner's alike."""
    return session.get(StoredSuite, (suite_id, owner_id)) if owner_id is not None else None


def suite_by_id(session: Session, *, suite_id: str) -> StoredSuite | None:
    """Any stored copy of a suite, for the worker measuring a run whose submission checked its owner: the id is
    the hash of the name and items, so every copy holds the same probes."""
    return session.scalars(select(StoredSuite).where(StoredSuite.id == suite_id).limit(1)).first()


def list_suites(session: Session, *, owner_id: int, limit: int = 50) -> list[StoredSuite]:
    """The owner's suites, newest first, without their items."""
    query = select(StoredSuite).options(defer(StoredSuite.items)).where(StoredSuite.owner_id == owner_id)
    return list(session.scalars(query.order_by(StoredSuite.created_at.desc(), StoredSuite.id).limit(limit)))
