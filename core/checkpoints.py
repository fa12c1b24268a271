"""Where a run's training checkpoint lives between attempts, and removing those of runs that ended.

The worker writes `DATA_DIR/checkpoints/run-ID.pt` (worker/engine/checkpoint.py, through a temporary
`run-ID.tmpPID` it renames) and deletes it when its own job ends the run. A run can also end with no job
of its own around to do that: cancelled while queued, failed by the embedded pool when its process died or
ran past the time limit, failed by the reaper when its heartbeat stopped. Those places call drop(), and
sweep() (the web app's reconciler, and a Celery worker after each job, for its own disk) removes any file
left of a run that has ended or no longer exists. Torch-free: the file is only named and removed here.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from forgetlab.core.store.models import TERMINAL, Run

FILE = re.compile(r"^run-(\d{1,10})\.(pt|tmp\d+)$")


def directory(data_dir: Path) -> Path:
    return Path(data_dir) / "checkpoints"


def path(data_dir: Path, run_id: int) -> Path:
    return directory(data_dir) / f"run-{run_id}.pt"


def drop(data_dir: Path, run_id: int) -> None:
    """Remove a run's checkpoint (and any half-written one): the run ended, there is nothing to resume."""
    for file in directory(data_dir).glob(f"run-{run_id}.*"):
        if (m := FILE.match(file.name)) and int(m.group(1)) == run_id:
            file.unlink(missing_ok=True)


def sweep(session: Session, data_dir: Path) -> list[int]:
    """Remove the checkpoint files of runs that ended or are gone; returns those runs' ids. A queued run
    keeps its file (it is a retry that resumes from it), and so does a running one."""
    files: dict[int, list[Path]] = {}
    try:
        entries = list(directory(data_dir).iterdir())
    except FileNotFoundError:
        return []
    for file in entries:
        if m := FILE.match(file.name):
            files.setdefault(int(m.group(1)), []).append(file)
    if not files:
        return []
    alive = set(session.scalars(select(Run.id).where(Run.id.in_(list(files)), Run.status.not_in(TERMINAL))))
    ended = sorted(set(files) - alive)
    for run_id in ended:
        for file in files[run_id]:
            file.unlink(missing_ok=True)
    return ended
