"""Celery tasks, thin: the web enqueues "forgetlab.run" by name; the shared job function does the work."""

from __future__ import annotations

from .celery_app import app


@app.task(name="forgetlab.run", acks_late=True, ignore_result=True)
def run(run_id: int) -> str:
    from .jobs import run_job

    return run_job(run_id=run_id)
