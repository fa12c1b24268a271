"""Entry point of the embedded executor's worker processes: `python -m worker.embedded FD`.

A child warms up first (imports torch and the engine, loads the base model once so every lazy
import and file read is done), tells its parent "ready" over the socket FD, then runs the run ids
it is sent, one at a time, saying "done" after each, until the parent closes the socket. Celery's
pool children reuse `warm_up`.
"""

from __future__ import annotations

import logging
import os
import sys


def warm_up(threads: int = 1) -> None:
    """Pay the import and first-load costs before any run is waiting on them.

    One CPU thread by default: the model is tiny, and several OpenMP threads spin-waiting for
    a core that another run (or the web process) holds made a 0.5 s run take 30 s on 2 cores.
    """
    from core.tiers import DEFAULT_TIER, get_tier
    from worker.engine.runtime import Runtime

    Runtime.cpu(max(1, threads)).apply()
    from worker.engine.model import ModelLoadError
    from worker.engine.train import base_view

    tier = get_tier(DEFAULT_TIER)
    try:
        for task in tier.tasks:  # the base, its suites and its scores: a run then only copies them
            base_view(tier, task)
    except ModelLoadError as e:  # the run will fail with this same reason; say it in the log now
        logging.getLogger(__name__).error("cannot load the base model: %s", e)


def child_main(fd: int) -> None:
    from multiprocessing.connection import Connection

    from core.settings import Settings
    from worker.jobs import run_job

    logging.basicConfig(level=logging.INFO, format="%(levelname)s [run worker %(process)d] %(message)s")
    conn = Connection(fd)
    settings = Settings.model_validate_json(os.environ["FORGETLAB_CHILD_SETTINGS"])
    warm_up(settings.torch_threads)
    conn.send("ready")
    while True:  # one run at a time, each started warm, until the parent closes our socket
        try:
            run_id = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):  # the web process went away or retired us
            return
        run_job(run_id=run_id, settings=settings)
        conn.send("done")


if __name__ == "__main__":
    child_main(int(sys.argv[1]))
