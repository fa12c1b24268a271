"""Where a queued run stands: "4th in the queue, about 50 s".

The position is the executor's own (the embedded lab's line, app/executors/local.py). Where the executor
cannot tell (Celery: its broker holds encoded messages), it is counted from the database: the queued runs
of the same queue made before this one, which is the order the outbox sends them and a Celery queue
serves them.

The wait (none yet without a finished run to time) is a stated simple model, not a prediction:
- every run alone takes the queue's typical time: the median over its last 20 finished runs, a run that trained
  in a group of n counted at its time divided by `group_slowdown(n)`;
- the queue's queued runs, in the database's order (the outbox's), are taken as the workers take them (worker/jobs.py's `gather`): each run with
  the compatible queued runs behind it (`config_key`), as many as `share()` gives (core/grouping.py: on the CPU its
  share among the workers still free, all of them at first and then one at a time, up to `group_size` in all);
  one that cannot group, alone;
- a group of n takes `group_slowdown(n)` times the typical time: n runs over the throughput ratio grouped / one
  by one measured on the CPU (docs/grouped-training.md), never less than one run;
- the workers take those groups in turn, each the next when it is free; the wait is until this run's group ends.
With no groups (grouping off, or no compatible runs) that is the position over the workers, rounded up, times
the typical time.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from statistics import median

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forgetlab.core.grouping import config_key, share
from forgetlab.core.store.models import Run

RECENT = 20
# Grouped training's throughput over one by one, 8 synthetic LoRA runs on one CPU thread, as last measured
# with the members evaluated together (bench/grouped_speed.py; the figures and their load:
# docs/grouped-training.md, "Evaluating the members together").
GROUPED_THROUGHPUT = 1.42


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


def group_slowdown(members: int) -> float:
    """How many times one run's time a group of `members` runs takes (the model above)."""
    return max(1.0, members / GROUPED_THROUGHPUT)


def typical_seconds(session: Session, *, queue: str) -> float | None:
    """The median time of one run alone over the queue's last finished runs (None: none finished yet); a run
    that trained in a group counts its start-to-end time over the group's slowdown."""
    rows = session.execute(select(Run.started_at, Run.finished_at, Run.info).where(
        Run.queue == queue, Run.status == "succeeded", Run.started_at.is_not(None), Run.finished_at.is_not(None))
        .order_by(Run.id.desc()).limit(RECENT)).all()
    times = [(end - start).total_seconds() / group_slowdown(len((info or {}).get("group") or [None]))
             for start, end, info in rows]
    return median(times) if times else None


def groups(queued: list[tuple[int, tuple | None]], size: int, workers: int = 1) -> list[list[int]]:
    """The queued runs (id, group key), in queue order, as `workers` workers take them: each run not yet taken with
    the compatible runs behind it, as many as `share()` gives (the first groups formed while the other workers are
    free, the rest one at a time), up to `size` in all; a run that cannot group (key None), alone."""
    taken: set[int] = set()
    out = []
    for index, (run_id, key) in enumerate(queued):
        if run_id in taken:
            continue
        group = [run_id]
        if key is not None:
            behind = [other for other, k in queued[index + 1:] if k == key and other not in taken]
            device = key[-1]  # group_key's last part
            group += behind[:share(1 + len(behind), max(1, workers - len(out)), size, device) - 1]
        taken.update(group)
        out.append(group)
    return out


def ends(durations: list[float], workers: int) -> list[float]:
    """When each job ends, the jobs taken in order by `workers` workers, each the next job when it is free."""
    free = [0.0] * workers
    out = []
    for duration in durations:
        end = heapq.heappop(free) + duration
        heapq.heappush(free, end)
        out.append(end)
    return out


def standing(session: Session, *, state, run: Run) -> Standing | None:
    """A queued run's place and expected wait; None for a run that is not queued."""
    if run.status != "queued":
        return None
    position = state.executor.position(run.id)
    if position is None:
        position = session.scalar(select(func.count()).select_from(Run).where(
            Run.status == "queued", Run.queue == run.queue, Run.id <= run.id)) or 1
    typical = typical_seconds(session, queue=run.queue)
    if typical is None:
        return Standing(position, None)
    size = state.settings.group_size
    queued = [(run_id, config_key(config, run.queue) if size > 1 else None) for run_id, config in session.execute(
        select(Run.id, Run.config).where(Run.status == "queued", Run.queue == run.queue).order_by(Run.id)).all()]
    workers = max(1, state.settings.workers)
    taken = groups(queued, size, workers)
    mine = next(i for i, group in enumerate(taken) if run.id in group)
    finished = ends([typical * group_slowdown(len(group)) for group in taken[:mine + 1]], workers)
    return Standing(position, int(round(finished[mine])))
