"""The distributed executor: a Celery producer that sends "forgetlab.run" by name to the run's queue."""

from __future__ import annotations

import logging

from forgetlab.core.queue import ASK_TASK_NAME, TASK_NAME, celery_config
from forgetlab.core.settings import Settings

log = logging.getLogger(__name__)


# A web request that sends while Redis is down waits at most about this long, then the run waits in
# the outbox (app/services/outbox.py) instead of the request hanging on kombu's default retries.
SEND_TIMEOUT = 2.0


class CeleryExecutor:
    def __init__(self, settings: Settings):
        import redis
        from celery import Celery

        self.celery = Celery("forgetlab-web")
        self.celery.conf.update(celery_config(settings))
        self.celery.conf.update(broker_connection_timeout=SEND_TIMEOUT, broker_connection_max_retries=1)
        self.redis = redis.Redis.from_url(settings.redis_url, socket_timeout=SEND_TIMEOUT,
                                          socket_connect_timeout=SEND_TIMEOUT)

    def start(self) -> None: ...

    def stop(self) -> None:
        self.celery.close()
        self.redis.close()

    def submit(self, run_id: int, queue: str) -> None:
        """Raises when the broker cannot take the message; the caller leaves the run in the outbox."""
        self.celery.send_task(TASK_NAME, args=[run_id], queue=queue, task_id=f"run-{run_id}",
                              retry=True, retry_policy={"max_retries": 1, "interval_start": 0.2,
                                                        "interval_step": 0.2, "interval_max": 0.2})

    def submit_ask(self, ask_id: int, queue: str) -> None:
        """A question to a run's model, to a worker of the run's queue; raises when the broker is down."""
        self.celery.send_task(ASK_TASK_NAME, args=[ask_id], queue=queue, task_id=f"ask-{ask_id}",
                              retry=True, retry_policy={"max_retries": 1, "interval_start": 0.2,
                                                        "interval_step": 0.2, "interval_max": 0.2})

    def position(self, run_id: int) -> int | None:
        return None  # the broker's list holds encoded messages: app/services/queue.py counts from the database

    def backlog(self, queue: str) -> int | None:
        """Messages waiting in a queue: kombu's Redis transport keeps a queue as a list under its name."""
        return int(self.redis.llen(queue))

    def probe(self) -> dict:
        try:
            self.redis.ping()
            return {"ok": True, "kind": "celery", "broker": "reachable"}
        except Exception as e:
            return {"ok": False, "kind": "celery", "broker": f"unreachable: {type(e).__name__}"}

    def cancel(self, run_id: int) -> None:
        # The DB already says "cancelled" (queued) or "cancel requested" (running): the worker
        # skips a cancelled run when its message arrives and checks the flag while training.
        # Revoking also drops a still-queued message from workers' view without waiting for it.
        try:
            self.celery.control.revoke(f"run-{run_id}")
        except Exception as e:
            log.warning("revoke of run %s failed (the DB flag still stops it): %s", run_id, e)
