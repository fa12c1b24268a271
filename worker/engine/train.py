"""The fine-tuning loop: one `train()` you can read top to bottom.

It loads the tier's base, builds the mitigations on it (before any update), optionally wraps it
in LoRA adapters, then trains on the scenario's task. Every piece of data comes from the tier;
where the tensors live comes from the runtime. At every evaluation point it measures each general
capability and the task, and reports typed events (core/results.py) through `on_event`; it never
decides where events go.
"""

from __future__ import annotations

import copy
import math
import time
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Callable, Iterator

import torch

from forgetlab.core import metrics
from forgetlab.core.errors import Cancelled
from forgetlab.core.holdout import PRIVATE, PUBLIC, Holdout, parts, private_flags
from forgetlab.core.results import (EarlyStopped, Finished, Measure, Metrics, PrivateMeasures, PrivateSummary, Sample,
                                    Samples, Started, Summary, TaskMeasure)
from forgetlab.core.scenario import Scenario
from forgetlab.core.tiers import Tier, get_tier

from .base_view import base_view, cached_validation_loss
from .checkpoint import Checkpoints
from .encoding import Batch, encode, trim
from .evaluate import evaluate, forgotten_probes, samples
from .lora import apply_lora, merged
from .loss import answer_loss
from .mitigations import Context, Mitigation, build
from .model import parameter_count
from .runtime import Runtime
from .weights import views
from .wise import wise_curve

VALIDATION_EXAMPLES = 32
# Probes per capability at the evaluation points between the first and the last are a subset (the
# tier's run_probes), so that evaluation stays a small share of a run's time (bench/train_speed.py
# measures it). The first point (the base) and the last use the tier's final_probes (the synthetic
# tier: every probe), so the summary is precise and equals the curves' endpoints.
# One extra evaluation point early in every run: the first drop shows within a second of the
# start, where the first regular point (step eval_every) would come seconds later.
EARLY_POINT = 5


def _never() -> bool:
    return False


def lr_factor(step: int, scenario: Scenario) -> float:
    """Multiplier on the peak learning rate: linear warmup, then constant, linear or cosine decay."""
    if step < scenario.warmup_steps:
        return (step + 1) / scenario.warmup_steps
    progress = (step - scenario.warmup_steps) / max(1, scenario.total_steps - scenario.warmup_steps)
    if scenario.schedule == "linear":
        return max(0.0, 1.0 - progress)
    if scenario.schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))
    return 1.0


def is_eval_point(step: int, scenario: Scenario) -> bool:
    return step % scenario.eval_every == 0 or step == EARLY_POINT or step == scenario.total_steps


def compose_batch(task_rows: Batch, mitigations: list[Mitigation], step: int) -> Batch:
    """This step's batch: the task rows plus whatever rows the data mitigations add."""
    parts = [task_rows] + [rows for m in mitigations if (rows := m.extra_examples(step)) is not None]
    return trim(Batch(torch.cat([p.input_ids for p in parts]), torch.cat([p.labels for p in parts]),
                      torch.cat([p.answer_start for p in parts])))


@torch.inference_mode()
def validation_loss(model, data: Batch) -> float:
    was_training = model.training
    model.eval()
    loss = answer_loss(model, data.input_ids, data.labels).item()
    model.train(was_training)
    return loss


def measure(result: dict, task: str) -> dict:
    """evaluate()'s result as the fields of a metrics event."""
    return {
        "capabilities": {c: Measure(**v) for c, v in result["capabilities"].items()},
        "task": TaskMeasure(name=task, **result["tasks"][task]),
        "format_rigidity": result.get("format_rigidity", {}).get(task),
        "refusal": result.get("refusal"),
        "over_refusal": result.get("over_refusal"),
    }


def split_measure(result: dict, task: str, prompts: dict[str, list[str]], holdout: Holdout) -> dict:
    """measure() of a run with a held-out split: the public part as the point's figures, the private part beside."""
    split = parts(result, prompts, holdout)
    public, private = split[PUBLIC], split[PRIVATE]
    return {**measure({**result, **public}, task),
            "private": PrivateMeasures(capabilities={c: Measure(**v) for c, v in private["capabilities"].items()},
                                       task=TaskMeasure(name=task, **private["tasks"][task]))}


def train(scenario: Scenario, on_event: Callable | None = None, *, tier: Tier | None = None,
          runtime: Runtime | None = None, should_cancel: Callable[[], bool] = _never,
          full_points: bool = False, holdout: Holdout | None = None) -> Summary:
    """Fine-tune the tier's base as the scenario says; returns the summary (also sent as `finished`).

    The tier defaults to the scenario's own; pass one to train another base (`Tier.with_model`).
    The runtime defaults to the CPU. `full_points` measures every point on the full suite, not only the
    first and last (the claims compare runs along their curves, where 24 probes are too coarse). `holdout`: an
    assignment's held-out split (core/holdout.py), whose private part is measured apart from what is shown."""
    return fine_tune(scenario, on_event, tier=tier, runtime=runtime, should_cancel=should_cancel,
                     full_points=full_points, holdout=holdout)[0]


def fine_tune(scenario: Scenario, on_event: Callable | None = None, *, tier: Tier | None = None,
              runtime: Runtime | None = None, should_cancel: Callable[[], bool] = _never,
              full_points: bool = False, checkpoints: Checkpoints | None = None, holdout: Holdout | None = None):
    """`train()`, also returning (fine-tuned model, untouched base model) for inspection and saving.
    `checkpoints` (the job's) saves the training state every few steps and resumes a retried run."""
    run = Trainee(scenario, on_event, tier=tier, runtime=runtime, should_cancel=should_cancel,
                  full_points=full_points, checkpoints=checkpoints, holdout=holdout)
    for batch in run.batches():
        with run.runtime.autocast(training=True):
            loss = answer_loss(run.model, batch.input_ids, batch.labels)
            total = run.with_penalties(loss)
        total.backward()
        run.update(loss.item())
    return run.finish()


@dataclass
class Measured:
    """One member's evaluation point, measured by its group together with the other members'
    (worker/engine/grouped_eval.py): what `Trainee.measure_and_report` would otherwise measure itself."""

    val_loss: float
    result: dict  # evaluate()'s
    samples: list[dict] | None = None  # samples()'s; None: the member takes its own


class Trainee:
    """One run's training, step by step: everything a run keeps (its model, mitigations, optimizer, schedule,
    data order, curves) and the loop's pieces, so that a lone run (`fine_tune`) and a member of a group
    (worker/engine/grouped.py) train through the same code. The caller runs the forward and the backward:
    `batches()` yields each step's batch, `with_penalties()` adds the mitigations' terms to its loss,
    `update()` clips, steps, measures and reports, `finish()` reports the summary."""

    def __init__(self, scenario: Scenario, on_event: Callable | None = None, *, tier: Tier | None = None,
                 runtime: Runtime | None = None, should_cancel: Callable[[], bool] = _never,
                 full_points: bool = False, checkpoints: Checkpoints | None = None, holdout: Holdout | None = None):
        self.started = time.perf_counter()
        self.emit = on_event or (lambda event: None)
        self.scenario = s = scenario
        self.tier = tier = (tier or get_tier(s.tier)).for_base(s.base_seed)  # the scenario's base: one of the tier's seeds
        self.runtime = runtime = runtime or Runtime.cpu_for_tier(tier.name)  # the CPU's precision for this tier
        self.should_cancel, self.checkpoints = should_cancel, checkpoints
        torch.manual_seed(s.seed)

        # The base, and everything that must be measured on it before the first update.
        self.base = base = base_view(tier, s.task, runtime.for_base_level)
        self.base_model, self.tokenizer, self.probes = base.model, base.tokenizer, base.probes
        self.encoded = base.full if full_points else base.run
        # The held-out split (core/holdout.py): each name's prompts in the whole suite, and which are private.
        self.holdout = holdout
        names = base.full.suite.capabilities + base.full.suite.tasks
        self.prompts = {n: [p.prompt for p in base.full.probes(n)] for n in names}
        self.private = {n: private_flags(holdout, n, self.prompts[n]) for n in names} if holdout else {}
        model = copy.deepcopy(self.base_model)
        self.seq_len = min(model.config.max_position_embeddings, tier.max_seq_len)
        self.mitigations = build(s, Context(model, self.tokenizer, views(self.base_model), self.seq_len, s.seed, tier,
                                            base_model=self.base_model, device=runtime.device))
        for mitigation in self.mitigations:  # which weights train (freeze_layers), before LoRA and the optimizer
            mitigation.freeze(model)
        if s.method == "lora":
            model = apply_lora(model, s)
        self.model = model

        task_data = encode(self.tokenizer, tier.task_examples(s.task, s.task_examples, s.seed), length=self.seq_len)
        self.task_data = task_data.to(runtime.device)
        self.val_pairs = tier.validation_examples(s.task, VALIDATION_EXAMPLES, s.seed)
        self.val_data = encode(self.tokenizer, self.val_pairs).to(runtime.device)
        self.trainable = [p for p in model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(self.trainable, lr=s.lr, weight_decay=0.0)
        self.schedule = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lambda step: lr_factor(step, s))
        self.order = runtime.generator(s.seed)

        self.emit(Started(total_steps=s.total_steps, scenario=s.model_dump(mode="json"),
                          parameters=parameter_count(self.base_model), trainable=sum(p.numel() for p in self.trainable)))
        self.table: list[dict[str, float]] = []
        self.private_table: list[dict[str, float]] = []  # the private part's accuracies (a held-out split)
        self.timing = {"setup": time.perf_counter() - self.started, "eval": 0.0}
        self.last_samples: list[dict] = []
        self.final_result: dict = {}  # the last point's full-suite evaluate(), items included
        self.watchers = [m for m in self.mitigations if m.check_every]
        self.step, self.losses, self.stopped, self.restored = 0, [], None, None
        self.first = self.point = None
        self.resumed = False  # whether batches() resumed a retried run from its checkpoint

    def watch(self, step: int) -> str | None:
        """The mitigations' own validation checks (early stopping's cadence): a reason to stop, or None."""
        due = [m for m in self.watchers if step % m.check_every == 0 or step == self.scenario.total_steps]
        if not due:
            return None
        eval_started = time.perf_counter()
        with self.runtime.autocast(), merged(self.model):
            val_loss = validation_loss(self.model, self.val_data)
        self.timing["eval"] += time.perf_counter() - eval_started
        point = {"step": step, "val_loss": val_loss, "model": self.model}
        return next((reason for m in due if (reason := m.should_stop(point))), None)

    def measure_and_report(self, step: int, train_loss: float | None, last: bool = False,
                           stop: str | None = None, measured: Measured | None = None) -> tuple[Metrics, str | None]:
        """Measure and report; a run's last point, stopped or not, is measured on the full suite. `measured`:
        this point's measurements where a group took them for its members together (worker/engine/grouped_eval.py);
        else measured here."""
        s, base, model = self.scenario, self.base, self.model
        suite = base.full if last or stop else self.encoded
        eval_started = time.perf_counter()
        # A lone LoRA run measures through merged weights (lora.merged()); a group's measurements come in `measured`,
        # and at step 0 the adapters are zero: nothing to merge.
        with self.runtime.autocast(), merged(model) if measured is None and step else nullcontext():
            if measured is not None:
                val_loss, result = measured.val_loss, measured.result
            elif step == 0:  # the base's own figures: its kept level, and its validation loss kept beside it
                val_loss = cached_validation_loss(self.tier, base.full, self.val_pairs, self.runtime.device,
                                                  lambda: validation_loss(model, self.val_data),
                                                  self.runtime.evaluation_precision)
                result = base.level
            else:
                val_loss, result = validation_loss(model, self.val_data), evaluate(model, suite)
            if last or stop:
                self.final_result.update(result)
            figures = split_measure(result, s.task, self.prompts, self.holdout) if self.holdout else \
                measure(result, s.task)
            point = Metrics(step=step, epoch=round(step / s.steps_per_epoch, 3), train_loss=train_loss,
                            val_loss=val_loss, lr=self.optimizer.param_groups[0]["lr"],
                            seconds=round(time.perf_counter() - self.started, 3), **figures)
            self.table.append({c: v.accuracy for c, v in point.capabilities.items()})
            if point.private:
                self.private_table.append({c: v.accuracy for c, v in point.private.capabilities.items()})
            self.emit(point)
            shown, previous = self.shown(step, suite, result)
            if measured is not None and measured.samples is not None:
                now = measured.samples
            elif step == 0:
                kept = {p.prompt for p in shown}
                now = [o for o in base.outputs if o["prompt"] in kept]
            else:
                now = samples(model, self.tokenizer, shown, previous, judge=suite.suite.judge,
                              generated=result.get("outputs"))
        self.last_samples[:] = now
        # The base's answer: its sample, or for a swapped-in probe (which the base passed) its generation.
        base_said = {**base.level.get("outputs", {}), **{b["prompt"]: b["output"] for b in base.outputs}}
        self.emit(Samples(step=step, samples=[Sample(capability=n["capability"], prompt=n["prompt"],
                                                     expected=n["expected"],
                                                     base=base_said.get(n["prompt"], n["expected"]),
                                                     output=n["output"], correct=n["correct"])
                                              for n in now]))
        if stop:
            self.emit(EarlyStopped(step=step, reason=stop))
        self.timing["eval"] += time.perf_counter() - eval_started
        return point, stop

    def shown(self, step: int, suite, result: dict) -> tuple[list, list[str]]:
        """The probes whose outputs this point shows, and each one's output at the previous point (its expected
        answer where it was not shown then). Each capability shows a probe it has forgotten, if any (base right,
        now wrong), else its fixed one; never a private probe."""
        base = self.base
        shown = self.probes if step == 0 else forgotten_probes(self.probes, suite, base.level.get("items", {}),
                                                               result.get("items", {}))
        shown = [p for p in shown if not self.is_private(p)]  # a student sees no private probe
        before = {o["prompt"]: o["output"] for o in self.last_samples}
        return shown, [before.get(p.prompt, p.answer) for p in shown]

    def is_private(self, probe) -> bool:
        flags = self.private.get(probe.capability)
        return bool(flags) and flags[self.prompts[probe.capability].index(probe.prompt)]

    def public(self, items: dict | None) -> dict | None:
        """Per-probe results (or groups) of the public probes only: all of them without a split."""
        if not items or not self.holdout:
            return items
        return {n: [x for x, private in zip(rows, self.private[n]) if not private] for n, rows in items.items()}

    def private_summary(self) -> PrivateSummary | None:
        """The private part's figures at the ends of the run (max_drop: over its points since a retry's resume)."""
        first, point = self.first.private, self.point.private
        if first is None or point is None:
            return None
        # A retried run resumes with the first point (the checkpoint's) but not the private points before the resume.
        table = ([{c: v.accuracy for c, v in first.capabilities.items()}] if self.resumed else []) + self.private_table
        return PrivateSummary(**metrics.summarize(table),
                              task_accuracy={"baseline": first.task.accuracy, "final": point.task.accuracy},
                              task_gain=point.task.accuracy - first.task.accuracy,
                              baseline_nll={c: v.nll for c, v in first.capabilities.items()},
                              final_nll={c: v.nll for c, v in point.capabilities.items()})

    def batches(self) -> Iterator[Batch]:
        """Each step's batch, in the run's own data order; stops after the last step or an early stop.
        Raises Cancelled when the run is cancelled before a step."""
        s, checkpoints = self.scenario, self.checkpoints
        # A retried run continues after its last checkpoint, with what it reported before; a first one starts here.
        resumed = checkpoints.restore(self.model, self.optimizer, self.schedule, table=self.table,
                                      samples=self.last_samples, mitigations=self.mitigations) if checkpoints else None
        self.resumed = resumed is not None
        self.first = resumed.first if resumed else self.measure_and_report(0, None)[0]
        done = resumed.step if resumed else 0
        self.model.train()
        self.loop_started, self.eval_before_loop = time.perf_counter(), self.timing["eval"]
        self.losses = list(resumed.losses) if resumed else []
        for _epoch in range(s.epochs):
            for rows in torch.randperm(len(self.task_data), generator=self.order).split(s.task_slots):
                if self.step < done:  # trained before the retry: only the data order is replayed
                    self.step += 1
                    continue
                if self.should_cancel():
                    raise Cancelled(self.step)
                yield compose_batch(self.task_data.take(rows), self.mitigations, self.step)
                if self.stopped:
                    return

    def with_penalties(self, loss: torch.Tensor) -> torch.Tensor:
        """This step's loss plus the mitigations' penalties (EWC, L2-SP, KL), computed on this run's model."""
        return loss + sum(extra for m in self.mitigations if (extra := m.extra_loss(self.model)) is not None)

    def update(self, loss: float) -> None:
        """After the backward: clip, step, and at an evaluation point (or a stop) measure and report."""
        self.advance(loss)
        self.report()

    def advance(self, loss: float) -> None:
        """`update()`'s first half: clip, step, and ask the mitigations whether to stop (and restore)."""
        torch.nn.utils.clip_grad_norm_(self.trainable, 1.0)
        self.optimizer.step()
        self.schedule.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.step += 1
        step = self.step
        self.losses.append(loss)
        self.stopped = stopped = self.watch(step) if self.watchers else None
        if stopped or step == self.scenario.total_steps:  # the end: a mitigation may put its best weights back
            self.restored = next((r for m in self.mitigations if (r := m.restore(self.model)) is not None), None)
            if stopped and self.restored is not None:
                self.stopped = stopped + f"; restored the weights of step {self.restored}"

    def due(self):
        """The suite this step's evaluation point measures (the full one at the end or a stop), or None when
        this step is no evaluation point. Asked after `advance()`."""
        s, step = self.scenario, self.step
        if not (is_eval_point(step, s) or self.stopped):
            return None
        return self.base.full if step == s.total_steps or self.stopped else self.encoded

    def report(self, measured: Measured | None = None) -> None:
        """`update()`'s second half: at an evaluation point measure (or take `measured`, as measure_and_report)
        and report; then save the checkpoint that is due."""
        s, step, stopped = self.scenario, self.step, self.stopped
        if self.due() is not None:
            self.point, _ = self.measure_and_report(step, sum(self.losses) / len(self.losses),
                                                    last=step == s.total_steps or bool(stopped), stop=stopped,
                                                    measured=measured)
            self.losses = []
            if stopped:
                return
        if self.checkpoints and step < s.total_steps:
            self.checkpoints.save(step, self.model, self.optimizer, self.schedule, first=self.first, table=self.table,
                                  samples=self.last_samples, losses=self.losses, mitigations=self.mitigations)

    def finish(self):
        """The summary (also sent as `finished`), the fine-tuned model and the untouched base model."""
        s, base, tier, first, point, stopped = self.scenario, self.base, self.tier, self.first, self.point, self.stopped
        # The last step is always an evaluation point on the full suite, so `point` is the final state.
        train_seconds = time.perf_counter() - self.loop_started - (self.timing["eval"] - self.eval_before_loop)
        # A held-out split's summary shows what the public probes show: the WiSE-FT curve and the NLL split by
        # token are measured on every probe, so it leaves them out.
        with self.runtime.autocast():
            wise = wise_curve(self.base_model, self.model, base.full, s.task) if s.wise_ft and not self.holdout \
                else None
        held = bool(self.holdout)
        summary = Summary(
            **metrics.summarize(self.table),
            task_accuracy={"baseline": first.task.accuracy, "final": point.task.accuracy},
            task_gain=point.task.accuracy - first.task.accuracy,
            format_rigidity=point.format_rigidity, refusal=point.refusal, over_refusal=point.over_refusal,
            steps=self.step, early_stopped=bool(stopped), wise_ft=wise, restored_step=self.restored,
            fact_split=metrics.group_split(self.public(base.level.get("items", {})),
                                           self.public(self.final_result.get("items", {})),
                                           self.public({c: [p.group for p in base.full.probes(c)]
                                                        for c in tier.capabilities})),
            baseline_nll={c: v.nll for c, v in first.capabilities.items()},
            final_nll={c: v.nll for c, v in point.capabilities.items()},
            baseline_nll_parts=None if held else base.level.get("nll_parts"),
            final_nll_parts=None if held else self.final_result.get("nll_parts"),
            baseline_items=self.public(base.level.get("items")),
            final_items=self.public(self.final_result.get("items")),
            private=self.private_summary(),
            seconds=round(time.perf_counter() - self.started, 3), setup_seconds=round(self.timing["setup"], 3),
            eval_seconds=round(self.timing["eval"], 3), train_seconds=round(train_seconds, 3),
            precision=self.runtime.precision)
        self.emit(Finished(step=self.step, summary=summary))
        return summary, self.model, self.base_model
