"""The distributed executor: a Celery producer that sends "forgetlab.run" by name to the run's queue."""

from __future__ import annotations

import logging

from core.queue import TASK_NAME, celery_config
from core.settings import Settings

log = logging.getLogger(__name__)


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
