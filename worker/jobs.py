"""The shared run function: one run, or a group of runs, from their DB rows to their terminal statuses.

Celery's task and the embedded executor's child process both call `run_job`. It claims the
run (so a redelivered message never runs it twice), then claims the compatible queued runs that can
train with it as one group (`gather`, docs/grouped-training.md), calls the engine's `train()` (or
`train_group()`), turns each run's engine events into its DB rows (one batch per evaluation step) and
live messages, heartbeats each run, and stops a run when the DB says cancel: a group's other members
go on. torch is imported inside `_engine()` and `_group_engine()` only, after any fork.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import threading
import time
from typing import Callable

from forgetlab.core import checkpoints
from forgetlab.core.datasets import split
from forgetlab.core.errors import Cancelled, RuntimeUnavailable
from forgetlab.core.grouping import config_key, device_of, scheduled_key, share
from forgetlab.core.holdout import Holdout
from forgetlab.core.live import Status, get_publisher
from forgetlab.core.scenario import ScenarioError, parse
from forgetlab.core.settings import Settings, get_settings
from forgetlab.core.store import artifacts as artifact_store
from forgetlab.core.store import runs
from forgetlab.core.store.datasets import stored_pairs
from forgetlab.core.store.db import session_factory
from forgetlab.core.store.suites import suite_by_id
from forgetlab.core.suites import probes_of
from forgetlab.core.tiers import Tier, get_tier
from forgetlab.core.tiers.base import DATASET_PREFIX, is_dataset_task

from .pool import free_processes, gathering, worker_name
from .recorder import Recorder, finite

log = logging.getLogger(__name__)


def _engine():
    """The engine, imported late: importing torch is the worker child's business, not its parent's.
    Returns train_and_save(scenario, on_event, tier=, runtime=, should_cancel=, save_to=, checkpoint_to=,
    checkpoint_every=, run_id=, holdout=) -> (summary, saved), where saved describes the model written to save_to (None
    when it was not kept); its manifest names run_id, the only run it is served as (core/artifacts.py).
    A checkpoint at checkpoint_to (from an earlier attempt) is resumed from."""
    from forgetlab.worker.engine.checkpoint import Checkpoints
    from forgetlab.worker.engine.train import fine_tune

    def train_and_save(scenario, on_event, *, tier, runtime, should_cancel, save_to, checkpoint_to, checkpoint_every,
                       run_id, holdout):
        checkpoints = Checkpoints(checkpoint_to, checkpoint_every)
        summary, model, _ = fine_tune(scenario, on_event, tier=tier, runtime=runtime, should_cancel=should_cancel,
                                      checkpoints=checkpoints, holdout=holdout)
        return summary, _save(model, scenario, tier, save_to, run_id)

    return train_and_save


def _group_engine():
    """The grouped trainer, imported late as `_engine()` is. Returns train_group_and_save(members, runtime=),
    members being the keyword arguments train_and_save takes (less runtime), one dict per run; it returns, per
    member, (summary, saved) or the Cancelled that ended that member."""
    from forgetlab.worker.engine.checkpoint import Checkpoints
    from forgetlab.worker.engine.grouped import Member, train_group

    def train_group_and_save(members: list[dict], *, runtime):
        outcomes = train_group([Member(m["scenario"], m["on_event"], should_cancel=m["should_cancel"], tier=m["tier"],
                                       checkpoints=Checkpoints(m["checkpoint_to"], m["checkpoint_every"]),
                                       holdout=m["holdout"])
                                for m in members], runtime=runtime)
        return [o.cancelled or (o.summary, _save(o.model, m["scenario"], m["tier"], m["save_to"], m["run_id"]))
                for o, m in zip(outcomes, members)]

    return train_group_and_save


def _save(model, scenario, tier, save_to, run_id) -> dict | None:
    """Write a finished run's model for downloads and questions; None when it is not kept."""
    from forgetlab.worker.engine.artifacts import save_run

    tier = tier or get_tier(scenario.tier)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if scenario.method == "full" and trainable > MAX_SAVED_PARAMETERS:
        return None  # a full fine-tune of a real model is hundreds of MB: not kept per run
    try:
        save_to.parent.mkdir(parents=True, exist_ok=True)
        return save_run(model, scenario, tier, save_to, run_id=run_id)
    except Exception as e:  # a full disk must not fail a finished run; the page says the model is not kept
        log.warning("could not save the model of %s: %s", save_to, e)
        return None


# Full fine-tunes up to this size are saved (the synthetic base: 0.17M); LoRA adapters always are.
MAX_SAVED_PARAMETERS = 20_000_000


def _runtime(queue: str, tier: str, processes: int, settings: Settings):
    """Where this run computes: the gpu queue insists on CUDA (RuntimeUnavailable says why not). Its CPU
    threads follow worker/threads.py's rule for its tier, beside `processes - 1` other runs; its CPU precision
    `Runtime.cpu_for_tier`'s (FORGETLAB_CPU_BF16)."""
    from forgetlab.worker.engine.runtime import Runtime
    from forgetlab.worker.threads import configure

    configure(tier, processes=processes, device="cuda" if queue == "gpu" else "cpu", override=settings.torch_threads)
    return Runtime.for_queue(queue, tier)


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
        pairs = stored_pairs(session, dataset_id=scenario.task.removeprefix(DATASET_PREFIX))
        if pairs is None:
            raise LookupError(f"the dataset {scenario.task} is no longer stored; upload it again and start a new run")
        tier = _with_dataset(scenario.tier, scenario.task, tuple(pairs))
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
        pairs = stored_pairs(session, dataset_id=scenario.task.removeprefix(DATASET_PREFIX)) or []
    if any(len(part.strip()) >= 4 and part.strip()[:24] in text for pair in pairs for part in pair):
        return (f"{type(error).__name__} while training on {scenario.task}; its message quoted the dataset's "
                "pairs, which a run's error never shows: check the file and upload it again")
    return text


def checkpoint_path(settings: Settings, run_id: int):
    """Where a run's training checkpoint lives between attempts (worker/engine/checkpoint.py)."""
    return checkpoints.path(settings.data_dir, run_id)


class Job:
    """One run this worker claimed: its scenario and tier, where its events go (its recorder), its heartbeat and
    cancel flag (its watchdog), and how it ends in the database."""

    def __init__(self, run_id: int, attempt: int, config: dict, queue: str, holdout: Holdout | None,
                 settings: Settings, sessions, publisher):
        self.run_id, self.attempt, self.config, self.queue, self.holdout = run_id, attempt, config, queue, holdout
        self.settings, self.sessions, self.publisher = settings, sessions, publisher
        self.scenario, self.tier = None, None
        self.recorder = Recorder(run_id, sessions, publisher)
        self.watchdog = Watchdog(run_id, attempt, sessions, min(settings.cancel_poll_seconds, settings.heartbeat_seconds))

    @classmethod
    def claim(cls, run_id: int, settings: Settings, sessions, publisher) -> Job | None:
        """queued -> running for this worker; None when it is not ours to run (cancelled while queued, already
        running elsewhere, or finished)."""
        with sessions() as session:
            attempt = runs.claim(session, run_id=run_id, worker=worker_name())
            if attempt is None:
                return None
            run = runs.get_run(session, run_id=run_id)
            publisher.publish(run_id, Status.of(run))
            return cls(run_id, attempt, run.config, run.queue, Holdout.from_json(run.holdout), settings, sessions,
                       publisher)

    def end(self, status: str, **fields) -> str:
        with self.sessions() as session:
            ended = runs.finish(session, run_id=self.run_id, status=status, attempt=self.attempt, **fields)
            if ended:
                self.publisher.publish(self.run_id, Status.of(runs.get_run(session, run_id=self.run_id)))
            # Files of runs that ended with no job to delete them (cancelled while queued, reaped...): on a
            # Celery worker's own disk only this finds them. This run's own goes too, once it has ended.
            checkpoints.sweep(session, self.settings.data_dir)
            return status if ended else runs.get_run(session, run_id=self.run_id).status  # else: cancel, reaper

    def prepare(self) -> str | None:
        """Read the scenario and the tier it trains in; a run that cannot train ends here (returns its status)."""
        try:
            self.scenario = parse(self.config)
        except ScenarioError as e:
            return self.end("failed", error=f"invalid scenario: {e}")
        try:
            with self.sessions() as session:
                self.tier = run_tier(session, self.scenario)
        except LookupError as e:
            return self.end("failed", error=str(e))
        except Exception as e:  # the dataset's pairs did not make a task: the run fails, never the worker
            log.exception("run %s failed", self.run_id)
            return self.end("failed", error=error_text(e, self.scenario, self.sessions))
        return None

    def engine_args(self) -> dict:
        """The engine's arguments for this run (`_engine()`'s train_and_save, less the runtime)."""
        settings = self.settings
        return {"scenario": self.scenario, "on_event": self.recorder, "tier": self.tier,
                "should_cancel": self.watchdog.cancel.is_set, "save_to": settings.run_model_dir(self.run_id),
                "checkpoint_to": checkpoint_path(settings, self.run_id),
                "checkpoint_every": settings.checkpoint_every, "run_id": self.run_id, "holdout": self.holdout}

    def conclude(self, outcome, time_limit_error) -> str:
        """End the run as its training ended: (summary, saved model) or the exception that stopped it."""
        if isinstance(outcome, Cancelled):
            return self.end("cancelled")
        if isinstance(outcome, RuntimeUnavailable):  # a gpu-queue worker without a GPU
            return self.end("failed", error=str(outcome))
        if isinstance(outcome, time_limit_error):
            return self.end("failed", error=f"the run took longer than the limit of {self.settings.run_time_limit} s")
        if isinstance(outcome, BaseException):
            log.error("run %s failed", self.run_id, exc_info=outcome)
            return self.end("failed", error=error_text(outcome, self.scenario, self.sessions))
        summary, saved = outcome
        if saved is not None:
            with self.sessions() as session:
                if store := artifact_store.store_for(self.settings, self.sessions):  # no shared volume: the web streams it
                    store.put_folder(self.run_id, self.settings.run_model_dir(self.run_id))
                runs.update_info(session, run_id=self.run_id,
                                 model={"kind": saved["kind"], "url": f"/api/runs/{self.run_id}/model"})
        # A held-out split's private part is stored apart from the summary (runs.private_summary): no route that
        # shows a summary shows it.
        summary = finite(summary.model_dump(mode="json"))
        return self.end("succeeded", summary={k: v for k, v in summary.items() if k != "private"},
                        private_summary=summary.get("private"))


def gather(first: Job, free: int = 1) -> list[Job]:
    """The queued runs that can train in one group with `first` (same queue and `scheduled_key`), claimed, in queue
    order, up to `share()` of them in all: on the CPU this process's share among the `free` worker processes. Waits
    at most group_wait_ms for more to be queued while it has taken every compatible run it saw and has fewer than
    group_size. Nothing when `first` cannot group or grouping is off (group_size 1)."""
    settings = first.settings
    key = scheduled_key(first.scenario, first.queue)
    if key is None or settings.group_size <= 1:
        return []
    members: list[Job] = []
    deadline = time.monotonic() + settings.group_wait_ms / 1000
    while True:
        with first.sessions() as session:
            compatible = [run.id for run in runs.runs_with_status(session, statuses=("queued",))
                          if run.queue == first.queue and config_key(run.config, first.queue) == key]
        limit = share(1 + len(members) + len(compatible), free, settings.group_size, device_of(first.queue))
        left = list(compatible)
        while left and 1 + len(members) < limit:
            job = Job.claim(left.pop(0), settings, first.sessions, first.publisher)
            if job is not None and job.prepare() is None:  # else: taken by another worker, or ended failed
                members.append(job)
        # Runs left over are other processes' share (or beyond group_size): waiting would only delay this group.
        if left or 1 + len(members) >= settings.group_size or time.monotonic() >= deadline:
            return members
        time.sleep(GATHER_POLL)


GATHER_POLL = 0.05  # seconds between looks for more compatible queued runs while a group fills


def run_job(*, run_id: int, settings: Settings | None = None, processes: int = 1, free: int | None = None,
            time_limit_error: type[BaseException] | tuple[type[BaseException], ...] = (),
            took: Callable[[list[int]], None] | None = None) -> str:
    """Run one queued run to a terminal status, with the compatible queued runs it gathers into a group
    (`gather`); returns the status of `run_id`, or "skipped" if it is not ours to run.
    `processes`: the runs this machine's worker runs at once (the pool's size), for the thread rule.
    `free`: the worker processes free to train now, this one included, for the group's share: the embedded pool
    knows and sends one run at a time while a child gathers; None (a Celery pool child) works both out
    (worker/pool.py: the siblings training now, and a lock while it gathers).
    `time_limit_error`: what the caller's time limit raises inside the run (Celery's SoftTimeLimitExceeded,
    passed by worker/tasks.py; the embedded executor's children have none).
    `took`: told, once, the ids of the runs this call claimed ([] when none): the embedded executor's bookkeeping."""
    settings = settings or get_settings()
    sessions = session_factory(settings.sqlalchemy_url)
    took = took or (lambda run_ids: None)
    pooled = free is None  # a Celery pool child: it counts its busy siblings, and gathers while they wait
    with gathering(settings.data_dir) if pooled else contextlib.nullcontext():
        first = Job.claim(run_id, settings, sessions, get_publisher(settings))
        if first is None:
            took([])
            return "skipped"
        ended = first.prepare()
        if ended is not None:
            took([run_id])
            return ended
        group = [first] + gather(first, free_processes(processes, sessions) if pooled else free)
    took([job.run_id for job in group])
    if len(group) == 1:
        return train_alone(first, processes, time_limit_error)
    return train_together(group, processes, time_limit_error)[0]


def train_alone(job: Job, processes: int, time_limit_error) -> str:
    job.watchdog.start()
    try:
        runtime = _runtime(job.queue, job.scenario.tier, processes, job.settings)  # before _engine() imports torch
        outcome = _engine()(runtime=runtime, **job.engine_args())
    except time_limit_error as e:
        outcome = e
    except Exception as e:
        outcome = e
    finally:
        job.watchdog.done.set()
    return job.conclude(outcome, time_limit_error)


def train_together(group: list[Job], processes: int, time_limit_error) -> list[str]:
    """Train the runs as one group (worker/engine/grouped.py): each keeps its own events, cancel flag, checkpoint
    and end; an error of the group's own (not one member's cancel) ends every member with it."""
    run_ids = [job.run_id for job in group]
    for job in group:
        with job.sessions() as session:
            runs.update_info(session, run_id=job.run_id, group=run_ids)  # the run page can say it trained in one
        job.watchdog.start()
    first = group[0]
    try:
        runtime = _runtime(first.queue, first.scenario.tier, processes, first.settings)
        outcomes = _group_engine()([job.engine_args() for job in group], runtime=runtime)
    except time_limit_error as e:
        outcomes = [e] * len(group)
    except Exception as e:
        outcomes = [e] * len(group)
    finally:
        for job in group:
            job.watchdog.done.set()
    return [job.conclude(outcome, time_limit_error) for job, outcome in zip(group, outcomes)]
