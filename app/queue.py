"""Executors: how a queued run reaches a worker. Local processes (embedded) or Celery over Redis.

The web process only ever sends the Celery task *by name* ("forgetlab.run"), so it imports
neither worker code nor torch. Both executors get the same calls from the web app:
start/stop with the app, submit after a run row is committed, cancel after the DB says so.
"""

from __future__ import annotations

import logging
from typing import Protocol

from .config import Settings

log = logging.getLogger(__name__)
TASK_NAME = "forgetlab.run"


def celery_config(settings: Settings) -> dict:
    """Celery settings for long runs, shared by the web's producer and the workers (worker/celery_app.py).

    acks_late + prefetch 1: a run's message is acknowledged only when it ends, and a worker
    holds one run at a time. The visibility timeout is above the hard time limit, or Redis
    would hand a still-running run to a second worker.
    """
    return {
        "broker_url": settings.redis_url,
        "task_acks_late": True,
        "worker_prefetch_multiplier": 1,
        "task_ignore_result": True,  # the DB is the source of truth, not a result backend
        "task_time_limit": settings.run_time_limit,
        "task_soft_time_limit": max(1, settings.run_time_limit - 30),
        "broker_transport_options": {"visibility_timeout": settings.run_time_limit + 600},
        "task_default_queue": settings.queue,
        "broker_connection_retry_on_startup": True,
        "worker_hijack_root_logger": False,
        # Each pool child imports torch and loads the base before saying it is up (worker/celery_app.py);
        # that takes seconds on a busy CPU, past Celery's default 4 s, which would kill it in a loop.
        "worker_proc_alive_timeout": 120,
    }


class Executor(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def submit(self, run_id: int, queue: str) -> None: ...
    def cancel(self, run_id: int) -> None: ...


class NullExecutor:
    """workers=0: runs stay queued (web-only process, benchmarks of the API itself)."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def submit(self, run_id: int, queue: str) -> None: ...
    def cancel(self, run_id: int) -> None: ...


class CeleryExecutor:
    def __init__(self, settings: Settings):
        from celery import Celery

        self.celery = Celery("forgetlab-web")
        self.celery.conf.update(celery_config(settings))

    def start(self) -> None: ...

    def stop(self) -> None:
        self.celery.close()

    def submit(self, run_id: int, queue: str) -> None:
        self.celery.send_task(TASK_NAME, args=[run_id], queue=queue, task_id=f"run-{run_id}")

    def cancel(self, run_id: int) -> None:
        # The DB already says "cancelled" (queued) or "cancel requested" (running): the worker
        # skips a cancelled run when its message arrives and checks the flag while training.
        # Revoking also drops a still-queued message from workers' view without waiting for it.
        try:
            self.celery.control.revoke(f"run-{run_id}")
        except Exception as e:
            log.warning("revoke of run %s failed (the DB flag still stops it): %s", run_id, e)


def make_executor(settings: Settings, session_factory, publisher) -> Executor:
    if settings.distributed:
        return CeleryExecutor(settings)
    if settings.workers == 0:
        return NullExecutor()
    from .local_executor import LocalExecutor

    return LocalExecutor(settings, session_factory, publisher)
