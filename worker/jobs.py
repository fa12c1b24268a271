"""The shared run function: one run, from its DB row to its terminal status.

Celery's task and the embedded executor's child process both call `run_job`. It claims the
run (so a redelivered message never runs it twice), calls the engine's `train()`, turns each
engine event into DB rows (one batch per evaluation step) and a live message, heartbeats, and
stops when the DB says cancel. torch is imported inside `_engine()` only, after any fork.
"""

from __future__ import annotations

import logging
import os
import socket
import threading

from core.live import get_publisher, status_message
from core.scenario import ScenarioError, parse
from core.settings import Settings, get_settings
from core.store import runs
from core.store.db import session_factory

from .recorder import Recorder, finite

log = logging.getLogger(__name__)


def _engine():
    """train(), imported late: importing torch is the worker child's business, not its parent's."""
    from worker.engine.train import train

    return train


def _runtime(queue: str, threads: int):
    """Where this run computes: the gpu queue insists on CUDA (RuntimeUnavailable says why not)."""
    from worker.engine.runtime import Runtime

    return Runtime.for_queue(queue, threads)


class Watchdog(threading.Thread):
    """Heartbeats the run and raises the cancel flag when the DB says stop (or the run is no longer ours)."""

    def __init__(self, run_id: int, attempt: int, sessions, interval: float):
        super().__init__(name=f"watchdog-{run_id}", daemon=True)
        self.run_id, self.attempt, self.sessions, self.interval = run_id, attempt, sessions, interval
        self.cancel = threading.Event()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.interval):
            try:
                with self.sessions() as session:
                    if not runs.heartbeat(session, run_id=self.run_id, attempt=self.attempt):
                        self.cancel.set()
            except Exception as e:  # a DB blip: try again next beat; the reaper judges real silence
                log.warning("heartbeat for run %s failed: %s", self.run_id, e)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_job(*, run_id: int, settings: Settings | None = None) -> str:
    """Run one queued run to a terminal status; returns that status, or "skipped" if not ours to run."""
    settings = settings or get_settings()
    sessions = session_factory(settings.sqlalchemy_url)
    publisher = get_publisher(settings)

    def end(status: str, **fields) -> str:
        with sessions() as session:
            if runs.finish(session, run_id=run_id, status=status, attempt=attempt, **fields):
                publisher.publish(run_id, status_message(runs.get_run(session, run_id=run_id)))
                return status
            return runs.get_run(session, run_id=run_id).status  # someone else ended it (cancel, reaper)

    with sessions() as session:
        attempt = runs.claim(session, run_id=run_id, worker=worker_name())
        if attempt is None:
            return "skipped"  # cancelled while queued, already running elsewhere, or finished
        run = runs.get_run(session, run_id=run_id)
        publisher.publish(run_id, status_message(run))
        config, queue = run.config, run.queue
    try:
        scenario = parse(config)
    except ScenarioError as e:
        return end("failed", error=f"invalid scenario: {e}")

    watchdog = Watchdog(run_id, attempt, sessions, min(settings.cancel_poll_seconds, settings.heartbeat_seconds))
    watchdog.start()
    recorder = Recorder(run_id, sessions, publisher)
    try:
        train = _engine()
        summary = train(scenario, recorder, runtime=_runtime(queue, settings.torch_threads),
                        should_cancel=watchdog.cancel.is_set)
    except Exception as e:
        if type(e).__name__ == "Cancelled":  # worker.engine.train.Cancelled, matched without importing torch
            return end("cancelled")
        if type(e).__name__ == "RuntimeUnavailable":  # a gpu-queue worker without a GPU
            return end("failed", error=str(e))
        if type(e).__name__ == "SoftTimeLimitExceeded":
            return end("failed", error=f"the run took longer than the limit of {settings.run_time_limit} s")
        log.exception("run %s failed", run_id)
        return end("failed", error=f"{type(e).__name__}: {e}")
    finally:
        watchdog.done.set()
    return end("succeeded", summary=finite(summary.model_dump(mode="json")))
