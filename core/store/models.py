"""Tables: runs, their metric points (narrow rows), their sample outputs, sweeps of runs, and users' datasets.

The database is the source of truth for everything a page shows; the live channel only says
"something new is there". Metric points are (run_id, step, key) -> value so any new measure
needs no migration, and the composite primary key makes re-inserting a step a no-op.
Timestamps are naive UTC, compared the same way on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    config: Mapped[dict] = mapped_column(JSON)  # the validated scenario, model_dump(mode="json")
    config_hash: Mapped[str] = mapped_column(String(32), index=True)  # the run cache's key
    preset: Mapped[str | None] = mapped_column(String(64), default=None)  # set when config equals a preset
    queue: Mapped[str] = mapped_column(String(32), default="cpu")
    total_steps: Mapped[int] = mapped_column(Integer, default=0)
    step: Mapped[int] = mapped_column(Integer, default=0)  # last step with metrics, for progress
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    worker: Mapped[str | None] = mapped_column(String(128), default=None)  # host:pid that runs it
    error: Mapped[str | None] = mapped_column(Text, default=None)
    info: Mapped[dict | None] = mapped_column(JSON, default=None)  # parameters, trainable, early stop reason
    summary: Mapped[dict | None] = mapped_column(JSON, default=None)
    samples_step: Mapped[int | None] = mapped_column(Integer, default=None)  # latest step with samples
    # The sweep that launched this run (no foreign key: see migration 0002); membership is SweepRun.
    sweep_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


class MetricPoint(Base):
    __tablename__ = "metric_points"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    step: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[float] = mapped_column(Float)


class SampleSet(Base):
    __tablename__ = "sample_sets"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    step: Mapped[int] = mapped_column(Integer, primary_key=True)
    samples: Mapped[list] = mapped_column(JSON)  # [{capability, prompt, expected, base, output}]


class Sweep(Base):
    __tablename__ = "sweeps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    spec: Mapped[dict] = mapped_column(JSON)  # as submitted: {preset | base, grid}
    axes: Mapped[dict] = mapped_column(JSON)  # {field: [values]} in grid order, for tables and titles
    size: Mapped[int] = mapped_column(Integer)


class SweepRun(Base):
    """One grid point of a sweep and the run that holds its result (new, or reused from the cache)."""

    __tablename__ = "sweep_runs"

    sweep_id: Mapped[int] = mapped_column(ForeignKey("sweeps.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    reused: Mapped[bool] = mapped_column(Boolean, default=False)


class StoredDataset(Base):
    """A user's fine-tuning data (core/datasets.py), whole: it is written once and never changes, since
    its id is the hash of its pairs. Stored as one JSON document; 2 MB at most."""

    __tablename__ = "datasets"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)  # lists: newest first
    size_bytes: Mapped[int] = mapped_column(Integer)
    pairs: Mapped[list] = mapped_column(JSON)  # [[prompt, response], ...] sorted by prompt
