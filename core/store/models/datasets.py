"""Users' own data: uploaded datasets (content stored once, linked per uploader) and capability suites."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow

class DatasetContent(Base):
    """The pairs of an uploaded dataset (core/datasets.py), stored once however many upload them: its id is the
    hash of its pairs, so it never changes. One JSON document; 2 MB at most. Who may use it is StoredDataset's
    (migration 0024): a content row alone belongs to nobody."""

    __tablename__ = "datasets"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # first stored
    pairs: Mapped[list] = mapped_column(JSON)  # [[prompt, response], ...] sorted by prompt


class StoredDataset(Base):
    """One uploader's dataset: their link to the content (`id`, the content's id) under the name and file size
    they uploaded it with. Private to its owner (core/store/access.py): the same pairs uploaded by two users are
    two rows over one content row (migration 0024). owner_id NULL: uploaded before accounts."""

    __tablename__ = "user_datasets"
    __table_args__ = (Index("ux_user_datasets_id_owner", "id", "owner_id", unique=True),
                      Index("ix_user_datasets_owner_created", "owner_id", "created_at"))  # a user's list

    # A surrogate key: (id, owner_id) is the natural one, but a key column cannot be NULL on PostgreSQL.
    link_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(16))  # the content's (DatasetContent.id); a plain column, as in 0004
    owner_id: Mapped[int | None] = mapped_column(Integer, default=None)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    size_bytes: Mapped[int] = mapped_column(Integer)  # of the file this owner uploaded
    content: Mapped[DatasetContent] = relationship(
        primaryjoin="foreign(StoredDataset.id) == DatasetContent.id", lazy="select", viewonly=True)


class StoredSuite(Base):
    """An engineer's own capability suite (core/suites.py), whole and unchanging: its id is the hash of its name
    and items. Private to its owner: the same file uploaded by two engineers is two rows (migration 0023)."""

    __tablename__ = "user_suites"
    __table_args__ = (Index("ix_user_suites_owner_created", "owner_id", "created_at"),)  # a user's list

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    owner_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    size_bytes: Mapped[int] = mapped_column(Integer)
    items: Mapped[list] = mapped_column(JSON)  # canonical items, sorted by prompt
