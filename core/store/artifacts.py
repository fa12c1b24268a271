"""A run's saved model files in the database, for distributed labs with no volume shared by the web and the
workers. PostgreSQL keeps each file as a large object, written and read in 1 MB chunks through the server's
lo_put/lo_get functions: a model file is never whole in memory on either side. One row per file names it.

The embedded lab keeps its files in the data directory (Settings.run_model_dir), where its web process and its
workers share a disk; `uses_database(settings)` says which a lab uses.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from .models import RunArtifact

CHUNK = 1 << 20


def uses_database(settings) -> bool:
    """Distributed labs on PostgreSQL keep run artifacts in the database; everything else on the data dir."""
    return settings.distributed and settings.sqlalchemy_url.startswith("postgresql")


def put_folder(session: Session, *, run_id: int, folder: Path) -> int:
    """Store every file of `folder` as the run's artifacts (replacing any stored before); returns the bytes."""
    remove(session, run_id=run_id)
    total = 0
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        oid = session.scalar(text("SELECT lo_create(0)"))
        with open(path, "rb") as f:
            offset = 0
            while chunk := f.read(CHUNK):
                session.execute(text("SELECT lo_put(:oid, :offset, :data)"),
                                {"oid": oid, "offset": offset, "data": chunk})
                offset += len(chunk)
        session.add(RunArtifact(run_id=run_id, name=path.name, oid=oid, size=offset))
        total += offset
    session.commit()
    return total


def names(session: Session, *, run_id: int) -> list[tuple[str, int]]:
    """(name, size) of each stored file of the run, in name order."""
    rows = session.execute(select(RunArtifact.name, RunArtifact.size).where(RunArtifact.run_id == run_id)
                           .order_by(RunArtifact.name))
    return [(name, size) for name, size in rows]


def chunks(session: Session, *, run_id: int, name: str) -> Iterator[bytes]:
    """One stored file's bytes, CHUNK at a time."""
    row = session.get(RunArtifact, (run_id, name))
    for offset in range(0, row.size, CHUNK):
        yield bytes(session.scalar(text("SELECT lo_get(:oid, :offset, :length)"),
                                   {"oid": row.oid, "offset": offset, "length": CHUNK}))


def fetch_folder(session: Session, *, run_id: int, folder: Path) -> bool:
    """Write the run's stored files into `folder` (a worker that needs the model: "ask the model"); False
    when nothing is stored."""
    stored = names(session, run_id=run_id)
    if not stored:
        return False
    staging = folder.with_name(folder.name + ".fetching")  # renamed into place whole: never a half model
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name, _ in stored:
        with open(staging / name, "wb") as f:
            for chunk in chunks(session, run_id=run_id, name=name):
                f.write(chunk)
    staging.replace(folder)
    return True


def remove(session: Session, *, run_id: int) -> None:
    """Drop the run's stored files and their large objects."""
    for row in session.scalars(select(RunArtifact).where(RunArtifact.run_id == run_id)):
        session.execute(text("SELECT lo_unlink(:oid)"), {"oid": row.oid})
    session.execute(delete(RunArtifact).where(RunArtifact.run_id == run_id))
    session.commit()
