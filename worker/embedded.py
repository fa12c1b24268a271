"""Entry point of the embedded executor's worker processes: `python -m forgetlab.worker.embedded FD`.

A child warms up first (imports torch and the engine, loads the base model once so every lazy
import and file read is done), tells its parent "ready" over the socket FD, then runs the run ids
it is sent and answers the questions to a run's model (worker/asking.py), one at a time, saying
"done" after each, until the parent closes the socket. For a run it first says which runs it took
("took", ids): the run sent, and the compatible queued runs it trains with it as a group (worker/jobs.py). Celery's pool children reuse `warm_up`.
"""

from __future__ import annotations

import logging
import os
import sys


def warm_up(processes: int = 1, threads: int | None = None, *, first_only: bool = False) -> list[str]:
    """Pay the import and first-load costs before any run is waiting on them.

    Threads and the OpenMP wait policy by worker/threads.py's rule for a process that runs beside
    `processes - 1` others (`threads`: FORGETLAB_TORCH_THREADS), set before torch is imported: OpenMP
    threads spin-waiting for a core that another run (or the web process) holds made a 0.5 s run take
    30 s on 2 cores. Each job sets them again for its own tier (worker/jobs.py).
    `first_only`: warm the default task alone and return the other tasks, for warm_rest() to do
    once the worker has said it is ready (the embedded worker); else warm every task.
    """
    from forgetlab.core.tiers import DEFAULT_TIER, get_tier
    from forgetlab.worker.threads import configure

    configure(DEFAULT_TIER, processes=processes, override=threads)
    tasks = list(get_tier(DEFAULT_TIER).tasks)
    _warm(tasks[:1] if first_only else tasks)
    return tasks[1:] if first_only else []


def _warm(tasks: list[str]) -> bool:
    """The base, its suites and its scores for these tasks: a run then only copies them."""
    from forgetlab.core.tiers import DEFAULT_TIER, get_tier
    from forgetlab.worker.engine.model import ModelLoadError
    from forgetlab.worker.engine.base_view import base_view

    try:
        for task in tasks:
            base_view(get_tier(DEFAULT_TIER), task)
    except ModelLoadError as e:  # the run will fail with this same reason; say it in the log now
        logging.getLogger(__name__).error("cannot load the base model: %s", e)
        return False
    return True


def warm_rest(conn, tasks: list[str]) -> None:
    """After "ready": the other tasks and peft (LoRA runs need it), one piece at a time, stopping as soon
    as a run is waiting, so the first run starts as early as the first warm worker can take it."""
    for task in tasks:
        if conn.poll(0) or not _warm([task]):
            return
    if not conn.poll(0):
        import peft  # noqa: F401  (a LoRA run's first import, paid while idle)


def child_main(fd: int) -> None:
    from multiprocessing.connection import Connection

    from forgetlab.core.settings import Settings
    from forgetlab.worker.asking import ask_job
    from forgetlab.worker.jobs import run_job
    from forgetlab.worker.parent_death import die_with_parent

    # First of all: a killed server must not leave this process training with no one to report to.
    die_with_parent(int(os.environ.get("FORGETLAB_PARENT_PID", "0")) or None)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s [run worker %(process)d] %(message)s")
    conn = Connection(fd)
    settings = Settings.model_validate_json(os.environ["FORGETLAB_CHILD_SETTINGS"])
    # Ready after the default task alone: the rest warms while nothing waits (a short cold start).
    rest = warm_up(max(1, settings.workers), settings.torch_threads, first_only=True)
    conn.send("ready")
    warm_rest(conn, rest)
    while True:  # one job at a time, each started warm, until the parent closes our socket
        try:
            # ("run", run id, the pool's processes free to train, this one included), or ("ask", ask id): a
            # question to a run's model
            job = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):  # the web process went away or retired us
            return
        if job[0] == "ask":
            ask_job(ask_id=job[1], settings=settings)
        else:
            # The parent learns which runs this job claimed (a group: the compatible queued runs it took too).
            run_job(run_id=job[1], settings=settings, processes=max(1, settings.workers), free=job[2],
                    took=lambda run_ids: conn.send(("took", run_ids)))
        conn.send("done")


if __name__ == "__main__":
    child_main(int(sys.argv[1]))
