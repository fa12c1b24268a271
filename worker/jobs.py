"""The shared run function: one run, from its DB row to its terminal status.

Celery's task and the embedded executor's child process both call `run_job`. It claims the
run (so a redelivered message never runs it twice), calls the engine's `train()`, turns each
engine event into DB rows (one batch per evaluation step) and a live message, heartbeats, and
stops when the DB says cancel. torch is imported inside `_engine()` only, after any fork.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading

from app import runs
from app.config import Settings, get_settings
from app.db import session_factory
from app.live import get_publisher, status_message
from worker.engine.scenario import ScenarioError, parse

log = logging.getLogger(__name__)


def _engine():
    """train(), imported late: importing torch is the worker child's business, not its parent's."""
    from worker.engine.train import train

    return train


def finite(value):
    """JSON for PostgreSQL's json type, which rejects NaN and Infinity: those become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def metric_values(event: dict) -> dict[str, float]:
    """A metrics event as flat keys for narrow rows: cap.<name>.accuracy, task.accuracy, val_loss, ..."""
    values: dict[str, float | None] = {}
    for cap, measures in event.get("capabilities", {}).items():
        for measure, value in measures.items():
            values[f"cap.{cap}.{measure}"] = value
    for measure in ("accuracy", "nll"):
        values[f"task.{measure}"] = event.get("task", {}).get(measure)
    for key in ("epoch", "train_loss", "val_loss", "format_rigidity", "refusal", "over_refusal", "lr", "seconds"):
        values[key] = event.get(key)
    return {k: float(v) for k, v in values.items() if isinstance(v, (int, float)) and v == v}  # drops None, NaN


class EventSink:
    """on_event for the engine: DB first (the source of truth), then the live channel."""

    def __init__(self, run_id: int, sessions, publisher):
        self.run_id, self.sessions, self.publisher = run_id, sessions, publisher
        self.summary: dict | None = None

    def __call__(self, event: dict) -> None:
        kind, step = event.get("type"), int(event.get("step", 0))
        with self.sessions() as session:
            if kind == "started":
                runs.update_info(session, run_id=self.run_id, parameters=event.get("parameters"),
                                 trainable=event.get("trainable"), total_steps=event.get("total_steps"))
            elif kind == "metrics":
                values = metric_values(event)
                runs.write_points(session, run_id=self.run_id, step=step, values=values)
                self.publisher.publish(self.run_id, {"kind": "point", "step": step, "values": values})
            elif kind == "samples":
                runs.write_samples(session, run_id=self.run_id, step=step, samples=finite(event["samples"]))
                self.publisher.publish(self.run_id, {"kind": "samples", "step": step})
            elif kind == "early_stopped":
                runs.update_info(session, run_id=self.run_id, early_stopped={"step": step, "reason": event["reason"]})
            elif kind == "finished":
                self.summary = event.get("summary")


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
        config = run.config
    try:
        scenario = parse(config)
    except ScenarioError as e:
        return end("failed", error=f"invalid scenario: {e}")

    watchdog = Watchdog(run_id, attempt, sessions, min(settings.cancel_poll_seconds, settings.heartbeat_seconds))
    watchdog.start()
    sink = EventSink(run_id, sessions, publisher)
    try:
        train = _engine()
        summary = train(scenario, on_event=sink, should_cancel=watchdog.cancel.is_set)
    except Exception as e:
        if type(e).__name__ == "Cancelled":  # worker.engine.train.Cancelled, matched without importing torch
            return end("cancelled")
        if type(e).__name__ == "SoftTimeLimitExceeded":
            return end("failed", error=f"the run took longer than the limit of {settings.run_time_limit} s")
        log.exception("run %s failed", run_id)
        return end("failed", error=f"{type(e).__name__}: {e}")
    finally:
        watchdog.done.set()
    return end("succeeded", summary=finite(summary or sink.summary))
