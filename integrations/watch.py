"""`forgetlab.watch`: a plain PyTorch training loop measured as it trains, streamed to a lab as an external run.

    with forgetlab.watch(model, tokenizer, lab="http://lab:8000", token="fl_...", every=50) as watch:
        for batch in batches:
            loss = model(**batch).loss
            loss.backward(); optimizer.step(); optimizer.zero_grad()
            watch.step(loss=loss.item())

Entering measures the base (step 0); `step()` counts optimizer steps and measures every `every`; leaving
measures the last step on the full suites and ends the run (failed, with the error, if the block raised).
The Trainer callback (integrations/transformers.py) drives the same Watcher from the Trainer's events.
"""

from __future__ import annotations

import json
import logging
import math
import time

from .meter import Meter
from .sinks import DatabaseSink, LabError, LabSink

log = logging.getLogger(__name__)
# Steps between measured points. A point generates answers to 8 probes per suite; at this cadence measuring cost
# 2.3% of the training time of the truncated SmolLM2 (a Trainer, batches of 8 tickets, on a CPU core), 3.1% over
# a 1000-step run with its base and last points on the full suites (bench/callback_overhead.py).
DEFAULT_EVERY = 100


class Watcher:
    def __init__(self, model, tokenizer, *, suites: list[str] | None = None, tier: str = "smollm2",
                 lab: str | None = None, token: str | None = None, database: str | None = None,
                 every: int = DEFAULT_EVERY, source: str = "forgetlab.watch", config: dict | None = None,
                 name: str | None = None, total_steps: int = 0, probes: int | None = None,
                 final_probes: int | None = None):
        if (lab is None) == (database is None):
            raise ValueError("give either lab= (with token=) or database=, where the run's points go")
        if lab is not None and not token:
            raise ValueError("lab= needs token=: an API token from the lab's account page")
        if every < 1:
            raise ValueError("every must be at least 1")
        self.model, self.every, self.total_steps = model, every, total_steps
        self.sink = LabSink(lab, token) if lab is not None else DatabaseSink(database)
        self.meter = Meter(tokenizer, tier=tier, suites=suites, device=_device(model), probes=probes,
                           final_probes=final_probes)
        own = self.meter.own_suites  # sent only when there are some: a lab from before own suites takes the rest
        self.run = dict(tier=tier, suites=[s for s in self.meter.suites if s not in own], source=source,
                        config=_json(config or {}), **({"own_suites": own} if own else {}),
                        model=_model_name(model), every=every, total_steps=total_steps, name=name)
        self.steps, self.measured, self.measured_full, self.losses = 0, -1, -1, []
        self.lr: float | None = None
        self.epoch: float | None = None
        self.where: str | None = None
        self.lost: str | None = None  # why the lab stopped taking points, if it did
        self.started = 0.0

    def start(self) -> "Watcher":
        """Create the run and measure the base (step 0)."""
        self.where = self.sink.create(**self.run)
        log.info("forgetlab: measuring into %s", self.where)
        self.started = time.perf_counter()
        self._point(0, full=True, base=True)
        return self

    def step(self, loss: float | None = None, lr: float | None = None, epoch: float | None = None) -> None:
        """One optimizer step done (its loss, learning rate and epoch, if known); measures on the cadence."""
        self.at(self.steps + 1, loss=loss, lr=lr, epoch=epoch)

    def note(self, loss: float | None = None, lr: float | None = None, epoch: float | None = None) -> None:
        """What the training reports (a logged loss, the learning rate, the epoch): the next point carries it."""
        if loss is not None and math.isfinite(loss):
            self.losses.append(float(loss))
        self.lr, self.epoch = lr if lr is not None else self.lr, epoch if epoch is not None else self.epoch

    def at(self, step: int, *, loss: float | None = None, lr: float | None = None, epoch: float | None = None) -> None:
        """The training is at optimizer step `step`; measures when the step is on the cadence."""
        self.steps = step
        self.note(loss, lr, epoch)
        if step % self.every == 0 and step != self.measured:
            self._point(step, full=False)

    def finish(self, error: BaseException | None = None, *, step: int | None = None) -> None:
        """The final point (at `step`, default the last step counted) on the full suites unless the training
        failed, then end the run."""
        self.steps = self.steps if step is None else step
        if self.lost:
            return
        if error is None and self.measured_full != self.steps:
            self._point(self.steps, full=True)
        failed = None if error is None else f"{type(error).__name__}: {error}"
        self._send(self.sink.end, "failed" if failed else "succeeded", failed, self.meter.seconds)

    def _send(self, call, *args) -> None:
        """A call to the lab; if it fails, measuring stops for the rest of the training, which goes on: the
        lab going away must never end someone's fine-tuning."""
        try:
            call(*args)
        except LabError as e:
            self.lost = str(e)
            log.warning("forgetlab: %s; no more points are sent for this run", e)

    def _point(self, step: int, *, full: bool, base: bool = False) -> None:
        if self.lost:
            return
        values, items = self.meter.measure(self.model, full=full, base=base)
        values["seconds"] = round(time.perf_counter() - self.started, 3)
        if self.losses:
            values["train_loss"] = sum(self.losses) / len(self.losses)
            self.losses = []
        values.update({k: v for k, v in (("lr", self.lr), ("epoch", self.epoch)) if v is not None})
        self._send(self.sink.point, step, values, items)
        self.measured = step
        if full:
            self.measured_full = step

    def __enter__(self) -> "Watcher":
        return self.start()

    def __exit__(self, kind, error, traceback) -> None:
        self.finish(error)


def watch(model, tokenizer, **options) -> Watcher:
    """A Watcher for a plain training loop; use it as a context manager (see the module doc)."""
    return Watcher(model, tokenizer, **options)


def _device(model):
    try:
        return next(model.parameters()).device
    except (StopIteration, AttributeError):
        return "cpu"


def _model_name(model) -> str | None:
    config = getattr(model, "config", None)
    return getattr(config, "_name_or_path", None) or None


def _json(config: dict) -> dict:
    """A config as JSON the lab stores: values it cannot spell become text, non-finite numbers are left out."""
    text = json.dumps(config, default=str)
    return {k: v for k, v in json.loads(text).items()
            if not (isinstance(v, float) and not math.isfinite(v))}
