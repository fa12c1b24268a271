"""The declarative base every table shares, the rule that user-visible ids are never reused, and the store's
clock (naive UTC, compared the same way on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import DeclarativeBase


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class NeverReused:
    """For tables whose integer ids users see: an id is never given out again after its row is deleted.

    SQLite otherwise reuses the highest id after a delete, so a new run could inherit a deleted run's
    id, and with it its files or a cached page. PostgreSQL's sequences never reuse an id anyway.
    """

    __table_args__ = {"sqlite_autoincrement": True}
