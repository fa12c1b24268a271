"""A run's saved model on disk, seen from the web side (torch-free): whose it is, and removing it.

The worker saves a finished run's model to `Settings.run_model_dir(id)` (worker/engine/artifacts.py), with a
manifest (MANIFEST) that names the run it was saved for. Whatever serves or loads that directory checks the
manifest first (`belongs_to`): a directory left behind by a deleted run, or written for another run, is never
handed out as this run's model. Run ids are never reused (migration 0010); the check holds even if a
directory outlived its run some other way (a crash between the database delete and the file delete).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from forgetlab.core.store import artifacts as artifact_store
from forgetlab.core.store.models import Run

MANIFEST = "forgetlab-artifact.json"
FOLDER = re.compile(r"^run-(\d{1,10})$")


def read_manifest(path: str | Path) -> dict | None:
    """The artifact manifest of a directory, or None (any HF model directory is a valid candidate too)."""
    try:
        manifest = json.loads((Path(path) / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def belongs_to(folder: Path, run: Run) -> bool:
    """The directory holds a model saved for this run: its manifest names the run's id (artifacts saved before
    manifests named runs: the run's exact configuration, which trains the same model)."""
    manifest = read_manifest(folder)
    if manifest is None:
        return False
    if "run_id" in manifest:
        return manifest["run_id"] == run.id
    return manifest.get("scenario_hash") is not None and manifest.get("scenario_hash") == run.config_hash


def drop(settings, run_id: int, sessions: Callable | None = None) -> None:
    """Remove a run's saved model (the run was deleted): its folder, and with `sessions` its copy in a distributed
    lab's artifact store (PostgreSQL large objects or the bucket: core/store/artifacts.py), which would otherwise
    outlive the run. Call it before the run's row goes: the store's rows name the large objects to unlink."""
    if sessions is not None and (store := artifact_store.store_for(settings, sessions)):
        store.remove(run_id)
    shutil.rmtree(settings.run_model_dir(run_id), ignore_errors=True)


def sweep(session: Session, settings) -> list[int]:
    """Remove saved models of runs that no longer exist; returns those runs' ids (the backstop for a delete
    that removed the row but not the directory)."""
    try:
        found = {int(m.group(1)): m for entry in settings.run_model_dir(0).parent.iterdir()
                 if (m := FOLDER.match(entry.name))}
    except FileNotFoundError:
        return []
    if not found:
        return []
    alive = set(session.scalars(select(Run.id).where(Run.id.in_(list(found)))))
    gone = sorted(set(found) - alive)
    for run_id in gone:  # a bucket's objects too (a deleted run's large objects went with its rows' cascade)
        drop(settings, run_id, sessionmaker(bind=session.get_bind()))
    return gone
