"""`forgetlab worker --queue cpu|gpu`: a Celery worker for distributed mode (needs REDIS_URL and DATABASE_URL)."""

from __future__ import annotations


def cmd_worker(args) -> None:
    from app.config import get_settings

    settings = get_settings()
    if not settings.distributed:
        from .cli import UsageError

        raise UsageError("REDIS_URL is not set: the Celery worker is for distributed mode "
                         "(embedded mode runs its workers inside `forgetlab serve`)")
    from .celery_app import app

    # One run per worker process at a time: a run uses every core torch gives it.
    argv = ["worker", "--queues", args.queue, "--concurrency", str(args.concurrency), "--pool", "prefork",
            "--loglevel", args.loglevel, "--hostname", f"{args.queue}@%h"]
    app.worker_main(argv)
