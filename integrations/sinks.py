"""Where an external run's points go: a lab over HTTP (its URL and an API token; the run is the token's user's),
or a local lab database (a SQLite file or PostgreSQL URL; the run is the local instructor's, as in the embedded
lab). Both make the same rows (core/store/external.py), so `forgetlab serve` on that database shows the run.
"""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.request

from sqlalchemy.exc import SQLAlchemyError

from forgetlab.core import external
from forgetlab.core.errors import DomainError
from forgetlab.core.store import accounts, runs
from forgetlab.core.store import external as store
from forgetlab.core.store.db import migrate, session_factory


class LabError(RuntimeError):
    """The lab refused a request or could not be reached; the message says which and why."""


class LabSink:
    """A lab's external-runs API (app/api/external.py), with the standard library's HTTP client."""

    def __init__(self, url: str, token: str, timeout: float = 30.0):
        self.url, self.token, self.timeout = url.rstrip("/"), token, timeout
        self.run_id: int | None = None

    def _post(self, path: str, body: dict) -> dict | None:
        request = urllib.request.Request(f"{self.url}/api{path}", data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                text = response.read()
        except urllib.error.HTTPError as e:
            raise LabError(f"the lab at {self.url} answered {e.code} to {path}: {e.read().decode(errors='replace')}") \
                from None
        except OSError as e:
            raise LabError(f"could not reach the lab at {self.url}: {e}") from None
        return json.loads(text) if text else None

    def create(self, **fields) -> str:
        self.run_id = self._post("/external-runs", fields)["id"]
        return f"{self.url}/runs/{self.run_id}"

    def point(self, step: int, values: dict, items: dict | None) -> None:
        self._post(f"/external-runs/{self.run_id}/points", {"step": step, "values": values, "items": items})

    def end(self, status: str, error: str | None, eval_seconds: float) -> None:
        self._post(f"/external-runs/{self.run_id}/end",
                   {"status": status, "error": error, "eval_seconds": round(eval_seconds, 3)})


class DatabaseSink:
    """A lab database written directly (migrated first, as `forgetlab serve` does)."""

    def __init__(self, url: str):
        migrate(url)
        self.sessions, self.url = session_factory(url), url
        self.run_id: int | None = None

    def create(self, *, tier: str, suites, source: str, config: dict, model, every, total_steps: int, name,
               own_suites=None) -> str:
        stored = external.make_config(tier=tier, suites=suites, source=source, args=config, model=model, every=every,
                                      own_suites=own_suites)
        with self.sessions() as session:
            owner = accounts.local_user(session)
            self.run_id = store.create(session, owner_id=owner.id, config=stored, total_steps=total_steps,
                                       name=name).id
        return f"run {self.run_id} in {self.url}"

    def point(self, step: int, values: dict, items: dict | None) -> None:
        with self._refused(), self.sessions() as session:
            store.add_point(session, run=runs.get_run(session, run_id=self.run_id), step=step, values=values,
                            items=items)

    def end(self, status: str, error: str | None, eval_seconds: float) -> None:
        with self._refused(), self.sessions() as session:
            store.end(session, run=runs.get_run(session, run_id=self.run_id), status=status, error=error,
                      eval_seconds=eval_seconds)

    @contextlib.contextmanager
    def _refused(self):
        """The database's refusals (a run cancelled meanwhile, the database gone) as the lab's: LabError."""
        try:
            yield
        except DomainError as e:
            raise LabError(f"the lab database refused: {e.message}") from None
        except SQLAlchemyError as e:
            raise LabError(f"the lab database at {self.url} failed: {type(e).__name__}") from None
