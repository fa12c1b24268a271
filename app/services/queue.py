"""Where a queued run stands: "4th in the queue, about 50 s".

The position is the executor's own (the embedded lab's line, app/executors/local.py). Where the executor
cannot tell (Celery: its broker holds encoded messages), it is counted from the database: the queued runs
of the same queue made before this one, which is the order the outbox sends them and a Celery queue
serves them. The wait is the position over the workers, times the median run time of the queue's last
20 finished runs (none yet: no estimate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import median

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forgetlab.core.store.models import Run

RECENT = 20


@dataclass(frozen=True)
class Standing:
    position: int  # 1: starts next
    eta_seconds: int | None

    def describe(self) -> str:
        about = f", about {_duration(self.eta_seconds)}" if self.eta_seconds is not None else ""
        return f"{ordinal(self.position)} in the queue{about}"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _duration(seconds: int) -> str:
    return f"{seconds} s" if seconds < 120 else f"{round(seconds / 60)} min"


def typical_seconds(session: Session, *, queue: str) -> float | None:
    """The median start-to-end time of the queue's last finished runs (None: none finished yet)."""
    rows = session.execute(select(Run.started_at, Run.finished_at).where(
        Run.queue == queue, Run.status == "succeeded", Run.started_at.is_not(None), Run.finished_at.is_not(None))
        .order_by(Run.id.desc()).limit(RECENT)).all()
    times = [(end - start).total_seconds() for start, end in rows]
    return median(times) if times else None


def standing(session: Session, *, state, run: Run) -> Standing | None:
    """A queued run's place and expected wait; None for a run that is not queued."""
    if run.status != "queued":
        return None
    position = state.executor.position(run.id)
    if position is None:
        position = session.scalar(select(func.count()).select_from(Run).where(
            Run.status == "queued", Run.queue == run.queue, Run.id <= run.id)) or 1
    typical = typical_seconds(session, queue=run.queue)
    workers = max(1, state.settings.workers)
    eta = None if typical is None else int(round(math.ceil(position / workers) * typical))
    return Standing(position, eta)
