"""Runs and what they produce: their metric points (narrow rows: (run_id, step, key) -> value, so a new
measure needs no migration and re-inserting a step is a no-op), sample outputs, saved-model files kept in the
database, and sweeps of runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, NeverReused, utcnow

STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})


class Run(NeverReused, Base):
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
    # The held-out split (migration 0022, core/holdout.py): the split an attempt's run is measured with
    # ({share, salt}), and the private part of its summary, apart from `summary` so no route showing one shows it.
    holdout: Mapped[dict | None] = mapped_column(JSON, default=None)
    private_summary: Mapped[dict | None] = mapped_column(JSON, default=None)
    samples_step: Mapped[int | None] = mapped_column(Integer, default=None)  # latest step with samples
    # The sweep that launched this run (no foreign key: see migration 0002); membership is SweepRun.
    sweep_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    # Accounts (migration 0004): who made the run (NULL: made before accounts; instructors see those),
    # and whether its owner shared it with everyone who can sign in, guests included. No foreign key,
    # for the reason of sweep_id; users are disabled, never deleted, so an owner id never dangles.
    owner_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    # The outbox (migration 0006): when the run's message last went to the executor. NULL while queued means
    # it was never sent (the broker was down); the web's reconciler sends it, and again if it seems lost.
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    # A person's words on a run (migration 0007): a name, tags (comma-separated, lowercase) and a note; and the
    # run a one-click follow-up was made from, so the run page can put the two side by side.
    name: Mapped[str | None] = mapped_column(String(120), default=None)
    tags: Mapped[str | None] = mapped_column(String(300), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    parent_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    # Trained outside the lab (migration 0020): a Trainer callback or forgetlab.watch streams its points in
    # (core/store/external.py). The lab never queues, retries or reaps it; its owner's process ends it.
    external: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

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


class Sweep(NeverReused, Base):
    __tablename__ = "sweeps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    spec: Mapped[dict] = mapped_column(JSON)  # as submitted: {preset | base, grid}
    axes: Mapped[dict] = mapped_column(JSON)  # {field: [values]} in grid order, for tables and titles
    size: Mapped[int] = mapped_column(Integer)
    owner_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)  # see Run.owner_id


class RunArtifact(Base):
    """One file of a run's saved model kept in the database (migration 0021; core/store/artifacts.py): its bytes
    are the PostgreSQL large object `oid`."""

    __tablename__ = "run_artifacts"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    oid: Mapped[int] = mapped_column(BigInteger)
    size: Mapped[int] = mapped_column(BigInteger)


class SweepRun(Base):
    """One grid point of a sweep and the run that holds its result (new, or reused from the cache)."""

    __tablename__ = "sweep_runs"

    sweep_id: Mapped[int] = mapped_column(ForeignKey("sweeps.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    reused: Mapped[bool] = mapped_column(Boolean, default=False)
