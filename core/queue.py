"""The run queue's contract, shared by the web's producer and the workers: the task name and Celery settings.

The web process sends the task *by name*, so it never imports worker code; both sides build their
Celery app from `celery_config`, so they cannot disagree on acknowledgement or time limits.
"""

from __future__ import annotations

from .settings import Settings

TASK_NAME = "forgetlab.run"
ASK_TASK_NAME = "forgetlab.ask"  # a question to a run's model (worker/asking.py)


def celery_config(settings: Settings) -> dict:
    """Celery settings for long runs.

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
