"""The engine's `forgetlab` subcommands: world, eval and pretrain (worker/cli_models.py), run and sweep
(worker/cli_run.py), and `worker` (a Celery worker, here); `claims` and `gate` have their own modules
(worker/cli_claims.py, worker/cli_gate.py). Each imports torch and the engine inside its own function;
core/cli.py registers them (the `forgetlab.commands` entry points).
"""

from __future__ import annotations

from forgetlab.core.cli import UsageError

from . import cli_models, cli_run


def cmd_worker(args) -> None:
    """A Celery worker for distributed mode (needs REDIS_URL and DATABASE_URL)."""
    from forgetlab.core.settings import get_settings

    settings = get_settings()
    if not settings.distributed:
        raise UsageError("REDIS_URL is not set: the Celery worker is for distributed mode "
                         "(embedded mode runs its workers inside `forgetlab serve`)")
    from .celery_app import app

    # One run per worker process at a time.
    argv = ["worker", "--queues", args.queue, "--concurrency", str(args.concurrency), "--pool", "prefork",
            "--loglevel", args.loglevel, "--hostname", f"{args.queue}@%h"]
    app.worker_main(argv)


def register(sub) -> None:
    """The engine's subcommands and the Celery worker, added to `forgetlab` (see core/cli.py)."""
    cli_models.register(sub)
    cli_run.register(sub)

    p = sub.add_parser("worker", help="start a Celery worker for distributed mode (needs REDIS_URL, DATABASE_URL)")
    p.add_argument("--queue", choices=["cpu", "gpu"], default="cpu")
    p.add_argument("--concurrency", type=int, default=1, help="runs at once (default 1)")
    p.add_argument("--loglevel", default="info")
    p.set_defaults(func=cmd_worker)
