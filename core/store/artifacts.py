"""Where a distributed lab keeps a run's saved model, so the web and the workers need no shared volume: in the
database by default (PostgreSQL large objects), or in an S3-compatible bucket when `artifact_url` is set. Either
way a file is written and read in CHUNK pieces: never whole in memory, on the worker or on the web.

The embedded lab keeps its files in the data directory (Settings.run_model_dir), which its web process and its
workers share: `store_for` answers None there. A worker saves a model to its own data directory first (the
engine writes files), then copies it into the store; the web streams it out of the store; a worker that needs a
model it did not train ("ask the model") fetches it into its data directory.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy import delete, select, text

from .models import RunArtifact

CHUNK = 1 << 20


class DatabaseFiles:
    """Each file a PostgreSQL large object, written and read through the server's lo_put/lo_get functions; one
    run_artifacts row (migration 0021) names it."""

    def __init__(self, sessions: Callable):
        self.sessions = sessions

    def put_folder(self, run_id: int, folder: Path) -> int:
        """Store every file of `folder` as the run's (replacing any stored before); returns the bytes stored."""
        self.remove(run_id)
        total = 0
        with self.sessions() as session:
            for path in sorted(p for p in folder.iterdir() if p.is_file()):
                oid, offset = session.scalar(text("SELECT lo_create(0)")), 0
                for chunk in _file_chunks(path):
                    session.execute(text("SELECT lo_put(:oid, :offset, :data)"),
                                    {"oid": oid, "offset": offset, "data": chunk})
                    offset += len(chunk)
                session.add(RunArtifact(run_id=run_id, name=path.name, oid=oid, size=offset))
                total += offset
            session.commit()
        return total

    def names(self, run_id: int) -> list[tuple[str, int]]:
        """(name, size) of each stored file of the run, in name order."""
        with self.sessions() as session:
            rows = session.execute(select(RunArtifact.name, RunArtifact.size).where(RunArtifact.run_id == run_id)
                                   .order_by(RunArtifact.name))
            return [(name, size) for name, size in rows]

    def chunks(self, run_id: int, name: str) -> Iterator[bytes]:
        with self.sessions() as session:
            row = session.get(RunArtifact, (run_id, name))
            for offset in range(0, row.size, CHUNK):
                yield bytes(session.scalar(text("SELECT lo_get(:oid, :offset, :length)"),
                                           {"oid": row.oid, "offset": offset, "length": CHUNK}))

    def remove(self, run_id: int) -> None:
        """Drop the run's files and their large objects (deleting the rows alone would orphan the objects)."""
        with self.sessions() as session:
            for row in session.scalars(select(RunArtifact).where(RunArtifact.run_id == run_id)):
                session.execute(text("SELECT lo_unlink(:oid)"), {"oid": row.oid})
            session.execute(delete(RunArtifact).where(RunArtifact.run_id == run_id))
            session.commit()


class BucketFiles:
    """Objects <prefix>/run-<id>/<name> in an S3-compatible bucket (`s3://bucket/prefix`). boto3 (the `s3` extra)
    reads the credentials, region and endpoint (AWS_ENDPOINT_URL for MinIO and others) from the environment."""

    def __init__(self, url: str):
        import boto3

        parsed = urlparse(url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ValueError(f"artifact_url must be s3://bucket/prefix, not {url!r}")
        self.bucket, self.prefix = parsed.netloc, parsed.path.strip("/")
        self.client = boto3.client("s3")

    def _key(self, run_id: int, name: str = "") -> str:
        return "/".join(p for p in (self.prefix, f"run-{run_id}", name) if p) + ("" if name else "/")

    def put_folder(self, run_id: int, folder: Path) -> int:
        self.remove(run_id)
        total = 0
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            self.client.upload_file(str(path), self.bucket, self._key(run_id, path.name))  # multipart, streamed
            total += path.stat().st_size
        return total

    def names(self, run_id: int) -> list[tuple[str, int]]:
        found = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                         Prefix=self._key(run_id)):
            found += [(o["Key"].rsplit("/", 1)[-1], o["Size"]) for o in page.get("Contents", [])]
        return sorted(found)

    def chunks(self, run_id: int, name: str) -> Iterator[bytes]:
        body = self.client.get_object(Bucket=self.bucket, Key=self._key(run_id, name))["Body"]
        yield from body.iter_chunks(CHUNK)

    def remove(self, run_id: int) -> None:
        keys = [{"Key": self._key(run_id, name)} for name, _ in self.names(run_id)]
        if keys:
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys})


Store = DatabaseFiles | BucketFiles


def store_for(settings, sessions: Callable) -> Store | None:
    """The store of a distributed lab: the bucket when `artifact_url` is set, else the database (PostgreSQL).
    None for a lab whose web and workers share the data directory (embedded)."""
    if not settings.distributed:
        return None
    if settings.artifact_url:
        return BucketFiles(settings.artifact_url)
    return DatabaseFiles(sessions) if settings.sqlalchemy_url.startswith("postgresql") else None


def fetch_folder(store: Store, run_id: int, folder: Path) -> bool:
    """Write the run's stored files into `folder`, renamed into place whole; False when nothing is stored."""
    stored = store.names(run_id)
    if not stored:
        return False
    staging = folder.with_name(folder.name + ".fetching")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name, _ in stored:
        with open(staging / name, "wb") as f:
            for chunk in store.chunks(run_id, name):
                f.write(chunk)
    staging.replace(folder)
    return True


def _file_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk
