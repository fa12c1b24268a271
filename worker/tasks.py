"""Celery tasks, thin: the web enqueues "forgetlab.run" and "forgetlab.ask" by name; the shared job
functions do the work."""

from __future__ import annotations

from celery.exceptions import SoftTimeLimitExceeded

from .celery_app import app, pool_size


@app.task(name="forgetlab.run", acks_late=True, ignore_result=True)
def run(run_id: int) -> str:
    from .jobs import run_job

    return run_job(run_id=run_id, processes=pool_size(), time_limit_error=SoftTimeLimitExceeded)


@app.task(name="forgetlab.ask", acks_late=True, ignore_result=True)
def ask(ask_id: int) -> str:
    from .asking import ask_job

    return ask_job(ask_id=ask_id)
