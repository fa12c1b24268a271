"""What a Celery pool child knows of its siblings, for a group's share (`gather` in worker/jobs.py).

A group takes its share of the compatible queued runs among the pool's free processes (core/grouping.py's
`share`). The embedded pool's parent knows which of its children are busy, sends that count with the run, and
sends no other run while a child gathers. A Celery worker's children get their messages from the broker, each on
its own, so each child works both out for itself:

- `free_processes`: the pool's size less the siblings (the other children of this child's parent) training now,
  read from the database: a running run's `worker` names the process that claimed it (`host:pid`).
- `gathering`: an exclusive lock that the pool's children share while one claims its run and gathers its group,
  so that two children never split one sweep between them at once (each would count the other busy and take the
  whole line).

The siblings are read from Linux's /proc; where it does not list them (another OS), a child counts its whole
pool as free, as before. The lock needs only the parent's pid.
"""

from __future__ import annotations

import fcntl
import os
import socket
from contextlib import contextmanager
from pathlib import Path

from forgetlab.core.store import runs


def worker_name(pid: int | None = None) -> str:
    """How a run's `worker` column names the process that runs it."""
    return f"{socket.gethostname()}:{pid or os.getpid()}"


def siblings() -> set[int] | None:
    """The pids of this process's parent's other children (a Celery pool's other processes); None where /proc does
    not list them. Every thread's list is read: Celery starts replacement children from its supervisor thread."""
    parent, me = os.getppid(), os.getpid()
    try:
        pids = {int(pid) for children in Path(f"/proc/{parent}/task").glob("*/children")
                for pid in children.read_text().split()}
    except (OSError, ValueError):
        return None
    return pids - {me} if me in pids else None


def free_processes(processes: int, sessions) -> int:
    """The pool's processes free to train now, this one included: `processes` less the siblings that run a run."""
    others = siblings()
    if others is None:
        return processes
    names = {worker_name(pid) for pid in others}
    with sessions() as session:
        busy = {run.worker for run in runs.runs_with_status(session, statuses=("running",)) if run.worker in names}
    return max(1, processes - len(busy))


@contextmanager
def gathering(data_dir: Path):
    """Held while this child claims its run and gathers its group: one child of the pool at a time. The lock is
    the parent's (a file named by its pid), released when the file closes, a killed child's too."""
    folder = Path(data_dir) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"gather-{socket.gethostname()}-{os.getppid()}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
