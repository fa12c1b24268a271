"""The shared run function: one run, from its DB row to its terminal status.

Celery's task and the embedded executor's child process both call `run_job`. It claims the
run (so a redelivered message never runs it twice), calls the engine's `train()`, turns each
engine event into DB rows (one batch per evaluation step) and a live message, heartbeats, and
stops when the DB says cancel. torch is imported inside `_engine()` only, after any fork.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import socket
import threading

from forgetlab.core import checkpoints
from forgetlab.core.datasets import split
from forgetlab.core.errors import Cancelled, RuntimeUnavailable
from forgetlab.core.live import Status, get_publisher
from forgetlab.core.holdout import Holdout
from forgetlab.core.scenario import ScenarioError, parse
from forgetlab.core.settings import Settings, get_settings
from forgetlab.core.store import artifacts as artifact_store
from forgetlab.core.store import runs
from forgetlab.core.store.datasets import get_dataset, pairs_of
from forgetlab.core.store.db import session_factory
from forgetlab.core.store.suites import suite_by_id
from forgetlab.core.suites import probes_of
from forgetlab.core.tiers import Tier, get_tier
from forgetlab.core.tiers.base import DATASET_PREFIX, is_dataset_task

from .recorder import Recorder, finite

log = logging.getLogger(__name__)


def _engine():
    """The engine, imported late: importing torch is the worker child's business, not its parent's.
    Returns train_and_save(scenario, on_event, tier=, runtime=, should_cancel=, save_to=, checkpoint_to=,
    checkpoint_every=, run_id=, holdout=) -> (summary, saved), where saved describes the model written to save_to (None
    when it was not kept); its manifest names run_id, the only run it is served as (core/artifacts.py).
    A checkpoint at checkpoint_to (from an earlier attempt) is resumed from."""
    from forgetlab.core.tiers import get_tier
    from forgetlab.worker.engine.artifacts import save_run
    from forgetlab.worker.engine.checkpoint import Checkpoints
    from forgetlab.worker.engine.train import fine_tune

    def train_and_save(scenario, on_event, *, tier, runtime, should_cancel, save_to, checkpoint_to, checkpoint_every,
                       run_id, holdout):
        checkpoints = Checkpoints(checkpoint_to, checkpoint_every)
        summary, model, _ = fine_tune(scenario, on_event, tier=tier, runtime=runtime, should_cancel=should_cancel,
                                      checkpoints=checkpoints, holdout=holdout)
        tier = tier or get_tier(scenario.tier)
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        if scenario.method == "full" and trainable > MAX_SAVED_PARAMETERS:
            return summary, None  # a full fine-tune of a real model is hundreds of MB: not kept per run
        try:
            save_to.parent.mkdir(parents=True, exist_ok=True)
            return summary, save_run(model, scenario, tier, save_to, run_id=run_id)
        except Exception as e:  # a full disk must not fail a finished run; the page says the model is not kept
            log.warning("could not save the model of %s: %s", save_to, e)
            return summary, None

    return train_and_save


# Full fine-tunes up to this size are saved (the synthetic base: 0.17M); LoRA adapters always are.
MAX_SAVED_PARAMETERS = 20_000_000


def _runtime(queue: str, tier: str, processes: int, settings: Settings):
    """Where this run computes: the gpu queue insists on CUDA (RuntimeUnavailable says why not). Its CPU
    threads follow worker/threads.py's rule for its tier, beside `processes - 1` other runs."""
    from forgetlab.worker.engine.runtime import Runtime
    from forgetlab.worker.threads import configure

    configure(tier, processes=processes, device="cuda" if queue == "gpu" else "cpu", override=settings.torch_threads)
    return Runtime.for_queue(queue)


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


@functools.lru_cache(maxsize=4)
def _with_dataset(tier: str, task: str, pairs: tuple) -> Tier:
    """The tier with a user's dataset as its task. Cached: a dataset's id is the hash of its pairs, so
    the same task always means the same data, and a warm worker then reuses the engine's base view
    (cached per tier object) for every run on one dataset."""
    return get_tier(tier).with_dataset(task, split(list(pairs)))


def run_tier(session, scenario) -> Tier | None:
    """The tier to train in: None (the scenario's own), or with the stored dataset its task names and the
    stored suites it measures. LookupError when one of them is no longer stored."""
    tier = None
    if is_dataset_task(scenario.task):
        row = get_dataset(session, dataset_id=scenario.task.removeprefix(DATASET_PREFIX))
        if row is None:
            raise LookupError(f"the dataset {scenario.task} is no longer stored; upload it again and start a new run")
        tier = _with_dataset(scenario.tier, scenario.task, tuple(pairs_of(row)))
    if scenario.suites:
        rows = [suite_by_id(session, suite_id=suite_id) for suite_id in scenario.suites]
        if None in rows:
            raise LookupError("a suite this run measures is no longer stored; upload it again and start a new run")
        tier = _with_suites(tier or get_tier(scenario.tier),
                            tuple((row.name, json.dumps(row.items, sort_keys=True)) for row in rows))
    return tier


@functools.lru_cache(maxsize=4)
def _with_suites(tier: Tier, suites: tuple[tuple[str, str], ...]) -> Tier:
    """The tier with an engineer's suites ((name, items as JSON), ...) as more capabilities. Cached as
    _with_dataset is: a suite's id is the hash of its name and items, so the same suites always mean the
    same probes, and a warm worker reuses its base view."""
    return tier.with_suites({name: probes_of(name, json.loads(items)) for name, items in suites})


def error_text(error: Exception, scenario, sessions) -> str:
    """A failed run's error as it is stored, and shown to everyone who may see the run (a shared run: everyone):
    never a quote of a dataset's lines. An error that repeats any pair's text says so instead of quoting it."""
    text = f"{type(error).__name__}: {error}"
    if not is_dataset_task(scenario.task):
        return text
    with sessions() as session:
        row = get_dataset(session, dataset_id=scenario.task.removeprefix(DATASET_PREFIX))
        pairs = pairs_of(row) if row is not None else []
    if any(len(part.strip()) >= 4 and part.strip()[:24] in text for pair in pairs for part in pair):
        return (f"{type(error).__name__} while training on {scenario.task}; its message quoted the dataset's "
                "pairs, which a run's error never shows: check the file and upload it again")
    return text


def checkpoint_path(settings: Settings, run_id: int):
    """Where a run's training checkpoint lives between attempts (worker/engine/checkpoint.py)."""
    return checkpoints.path(settings.data_dir, run_id)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_job(*, run_id: int, settings: Settings | None = None, processes: int = 1,
            time_limit_error: type[BaseException] | tuple[type[BaseException], ...] = ()) -> str:
    """Run one queued run to a terminal status; returns that status, or "skipped" if not ours to run.
    `processes`: the runs this machine's worker runs at once (the pool's size), for the thread rule.
    `time_limit_error`: what the caller's time limit raises inside the run (Celery's SoftTimeLimitExceeded,
    passed by worker/tasks.py; the embedded executor's children have none)."""
    settings = settings or get_settings()
    sessions = session_factory(settings.sqlalchemy_url)
    publisher = get_publisher(settings)

    def end(status: str, **fields) -> str:
        with sessions() as session:
            ended = runs.finish(session, run_id=run_id, status=status, attempt=attempt, **fields)
            if ended:
                publisher.publish(run_id, Status.of(runs.get_run(session, run_id=run_id)))
            # Files of runs that ended with no job to delete them (cancelled while queued, reaped...): on a
            # Celery worker's own disk only this finds them. This run's own goes too, once it has ended.
            checkpoints.sweep(session, settings.data_dir)
            return status if ended else runs.get_run(session, run_id=run_id).status  # else: cancel, reaper

    with sessions() as session:
        attempt = runs.claim(session, run_id=run_id, worker=worker_name())
        if attempt is None:
            return "skipped"  # cancelled while queued, already running elsewhere, or finished
        run = runs.get_run(session, run_id=run_id)
        publisher.publish(run_id, Status.of(run))
        config, queue, holdout = run.config, run.queue, Holdout.from_json(run.holdout)
    try:
        scenario = parse(config)
    except ScenarioError as e:
        return end("failed", error=f"invalid scenario: {e}")
    try:
        with sessions() as session:
            tier = run_tier(session, scenario)
    except LookupError as e:
        return end("failed", error=str(e))
    except Exception as e:  # the dataset's pairs did not make a task: the run fails, never the worker
        log.exception("run %s failed", run_id)
        return end("failed", error=error_text(e, scenario, sessions))

    watchdog = Watchdog(run_id, attempt, sessions, min(settings.cancel_poll_seconds, settings.heartbeat_seconds))
    watchdog.start()
    recorder = Recorder(run_id, sessions, publisher)
    try:
        runtime = _runtime(queue, scenario.tier, processes, settings)  # before _engine() imports torch
        train = _engine()
        summary, saved = train(scenario, recorder, tier=tier, runtime=runtime,
                               save_to=settings.run_model_dir(run_id),
                               checkpoint_to=checkpoint_path(settings, run_id),
                               checkpoint_every=settings.checkpoint_every, run_id=run_id, holdout=holdout,
                               should_cancel=watchdog.cancel.is_set)
    except Cancelled:
        return end("cancelled")
    except RuntimeUnavailable as e:  # a gpu-queue worker without a GPU
        return end("failed", error=str(e))
    except time_limit_error:
        return end("failed", error=f"the run took longer than the limit of {settings.run_time_limit} s")
    except Exception as e:
        log.exception("run %s failed", run_id)
        return end("failed", error=error_text(e, scenario, sessions))
    finally:
        watchdog.done.set()
    if saved is not None:
        with sessions() as session:
            if store := artifact_store.store_for(settings, sessions):  # no shared volume: the web streams it from there
                store.put_folder(run_id, settings.run_model_dir(run_id))
            runs.update_info(session, run_id=run_id, model={"kind": saved["kind"], "url": f"/api/runs/{run_id}/model"})
    # A held-out split's private part is stored apart from the summary (runs.private_summary): no route that shows
    # a summary shows it.
    summary = finite(summary.model_dump(mode="json"))
    return end("succeeded", summary={k: v for k, v in summary.items() if k != "private"},
               private_summary=summary.get("private"))
