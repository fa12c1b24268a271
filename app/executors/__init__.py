"""Executors: how a queued run reaches a worker. Local processes (embedded) or Celery over Redis.

Both get the same calls from the web app: start/stop with the app, submit after a run row is
committed, cancel after the DB says so. Neither imports worker code or torch: the local one
spawns `python -m forgetlab.worker.embedded`, the Celery one sends the task by name.
"""

from __future__ import annotations

from typing import Protocol

from forgetlab.core.settings import Settings


class Executor(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def submit(self, run_id: int, queue: str) -> None: ...  # may raise when the broker is down (app/services/outbox.py)
    def cancel(self, run_id: int) -> None: ...
    def submit_ask(self, ask_id: int, queue: str) -> None: ...  # a question to a run's model (worker/asking.py)
    def backlog(self, queue: str) -> int | None: ...  # messages waiting in a queue; None: cannot tell
    def position(self, run_id: int) -> int | None: ...  # 1: next to start; None: not in its line, or cannot tell
    def probe(self) -> dict: ...  # {"ok": bool, ...}: what /api/health reports of the executor


class NullExecutor:
    """workers=0: runs stay queued (web-only process, benchmarks of the API itself)."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def submit(self, run_id: int, queue: str) -> None: ...
    def cancel(self, run_id: int) -> None: ...
    def submit_ask(self, ask_id: int, queue: str) -> None: ...

    def position(self, run_id: int) -> int | None:
        return None

    def backlog(self, queue: str) -> int | None:
        return 1  # nothing consumes the queue, so nothing is ever lost from it

    def probe(self) -> dict:
        return {"ok": True, "kind": "none", "detail": "workers=0: runs stay queued"}


def make_executor(settings: Settings, session_factory, publisher) -> Executor:
    if settings.distributed:
        from .celery import CeleryExecutor

        return CeleryExecutor(settings)
    if settings.workers == 0:
        return NullExecutor()
    from .local import LocalExecutor

    return LocalExecutor(settings, session_factory, publisher)
