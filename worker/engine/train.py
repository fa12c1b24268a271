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
from typing import Callable

import torch

from forgetlab.core import metrics
from forgetlab.core.errors import Cancelled
from forgetlab.core.results import EarlyStopped, Finished, Measure, Metrics, Sample, Samples, Started, Summary, TaskMeasure
from forgetlab.core.scenario import Scenario
from forgetlab.core.tiers import Tier, get_tier

from .base_view import base_view
from .checkpoint import Checkpoints
from .encoding import Batch, encode, trim
from .evaluate import evaluate, forgotten_probes, samples
from .lora import apply_lora
from .mitigations import Context, Mitigation, build
from .model import parameter_count
from .runtime import Runtime
from .weights import snapshot
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
    loss = model(input_ids=data.input_ids, labels=data.labels).loss.item()
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


def train(scenario: Scenario, on_event: Callable | None = None, *, tier: Tier | None = None,
          runtime: Runtime | None = None, should_cancel: Callable[[], bool] = _never,
          full_points: bool = False) -> Summary:
    """Fine-tune the tier's base as the scenario says; returns the summary (also sent as `finished`).

    The tier defaults to the scenario's own; pass one to train another base (`Tier.with_model`).
    The runtime defaults to the CPU. `full_points` measures every point on the full suite, not only the
    first and last (the claims compare runs along their curves, where 24 probes are too coarse)."""
    return fine_tune(scenario, on_event, tier=tier, runtime=runtime, should_cancel=should_cancel,
                     full_points=full_points)[0]


def fine_tune(scenario: Scenario, on_event: Callable | None = None, *, tier: Tier | None = None,
              runtime: Runtime | None = None, should_cancel: Callable[[], bool] = _never,
              full_points: bool = False, checkpoints: Checkpoints | None = None):
    """`train()`, also returning (fine-tuned model, untouched base model) for inspection and saving.
    `checkpoints` (the job's) saves the training state every few steps and resumes a retried run."""
    started = time.perf_counter()
    emit = on_event or (lambda event: None)
    s = scenario
    tier = (tier or get_tier(s.tier)).for_base(s.base_seed)  # the scenario's base: one of the tier's seeds
    runtime = runtime or Runtime.cpu()
    torch.manual_seed(s.seed)

    # The base, and everything that must be measured on it before the first update.
    base = base_view(tier, s.task, runtime.device)
    base_model, tokenizer, encoded, probes = base.model, base.tokenizer, base.full if full_points else base.run, \
        base.probes
    model = copy.deepcopy(base_model)
    seq_len = min(model.config.max_position_embeddings, tier.max_seq_len)
    mitigations = build(s, Context(model, tokenizer, snapshot(model), seq_len, s.seed, tier, runtime.device))
    if s.method == "lora":
        model = apply_lora(model, s)

    task_data = encode(tokenizer, tier.task_examples(s.task, s.task_examples, s.seed), length=seq_len)
    task_data = task_data.to(runtime.device)
    val_data = encode(tokenizer, tier.validation_examples(s.task, VALIDATION_EXAMPLES, s.seed)).to(runtime.device)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=s.lr, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(step, s))
    order = runtime.generator(s.seed)

    emit(Started(total_steps=s.total_steps, scenario=s.model_dump(mode="json"),
                 parameters=parameter_count(base_model), trainable=sum(p.numel() for p in trainable)))
    table: list[dict[str, float]] = []
    timing = {"setup": time.perf_counter() - started, "eval": 0.0}
    last_samples: list[dict] = []
    final_result: dict = {}  # the last point's full-suite evaluate(), items included

    watchers = [m for m in mitigations if m.check_every]

    def watch(step: int) -> str | None:
        """The mitigations' own validation checks (early stopping's cadence): a reason to stop, or None."""
        due = [m for m in watchers if step % m.check_every == 0 or step == s.total_steps]
        if not due:
            return None
        eval_started = time.perf_counter()
        with runtime.autocast():
            val_loss = validation_loss(model, val_data)
        timing["eval"] += time.perf_counter() - eval_started
        point = {"step": step, "val_loss": val_loss, "model": model}
        return next((reason for m in due if (reason := m.should_stop(point))), None)

    def measure_and_report(step: int, train_loss: float | None, last: bool = False,
                           stop: str | None = None) -> tuple[Metrics, str | None]:
        """Measure and report; a run's last point, stopped or not, is measured on the full suite."""
        eval_started = time.perf_counter()
        with runtime.autocast():
            val_loss = validation_loss(model, val_data)
            result = base.level if step == 0 else evaluate(model, base.full if last or stop else encoded)
            if last or stop:
                final_result.update(result)
            point = Metrics(step=step, epoch=round(step / s.steps_per_epoch, 3), train_loss=train_loss,
                            val_loss=val_loss, lr=optimizer.param_groups[0]["lr"],
                            seconds=round(time.perf_counter() - started, 3), **measure(result, s.task))
            table.append({c: v.accuracy for c, v in point.capabilities.items()})
            emit(point)
            # Each capability shows a probe it has forgotten, if any (base right, now wrong), else its fixed one.
            shown = probes if step == 0 else forgotten_probes(probes, base.full if last or stop else encoded,
                                                              base.level.get("items", {}), result.get("items", {}))
            before = {o["prompt"]: o["output"] for o in last_samples}
            previous = [before.get(p.prompt, p.answer) for p in shown]
            now = base.outputs if step == 0 else samples(model, tokenizer, shown, previous, judge=encoded.suite.judge,
                                                          generated=result.get("outputs"))
        last_samples[:] = now
        # The base's answer: its sample, or for a swapped-in probe (which the base passed) its generation.
        base_said = {**base.level.get("outputs", {}), **{b["prompt"]: b["output"] for b in base.outputs}}
        emit(Samples(step=step, samples=[Sample(capability=n["capability"], prompt=n["prompt"], expected=n["expected"],
                                                base=base_said.get(n["prompt"], n["expected"]), output=n["output"],
                                                correct=n["correct"])
                                         for n in now]))
        if stop:
            emit(EarlyStopped(step=step, reason=stop))
        timing["eval"] += time.perf_counter() - eval_started
        return point, stop

    # A retried run continues after its last checkpoint, with what it reported before; a first one starts here.
    resumed = checkpoints.restore(model, optimizer, schedule, table=table, samples=last_samples,
                                  mitigations=mitigations) if checkpoints else None
    first = resumed.first if resumed else measure_and_report(0, None)[0]
    done = resumed.step if resumed else 0
    model.train()
    loop_started, eval_before_loop = time.perf_counter(), timing["eval"]
    step, losses, stopped, restored = 0, list(resumed.losses) if resumed else [], None, None
    for _epoch in range(s.epochs):
        for rows in torch.randperm(len(task_data), generator=order).split(s.task_slots):
            if step < done:  # trained before the retry: only the data order is replayed
                step += 1
                continue
            if should_cancel():
                raise Cancelled(step)
            batch = compose_batch(task_data.take(rows), mitigations, step)
            with runtime.autocast():
                loss = model(input_ids=batch.input_ids, labels=batch.labels).loss
                total = loss + sum(extra for m in mitigations if (extra := m.extra_loss(model)) is not None)
            total.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            losses.append(loss.item())
            stopped = watch(step) if watchers else None
            if stopped or step == s.total_steps:  # the end: a mitigation may put its best weights back
                restored = next((r for m in mitigations if (r := m.restore(model)) is not None), None)
                if stopped and restored is not None:
                    stopped += f"; restored the weights of step {restored}"
            if is_eval_point(step, s) or stopped:
                point, _ = measure_and_report(step, sum(losses) / len(losses),
                                              last=step == s.total_steps or bool(stopped), stop=stopped)
                losses = []
                if stopped:
                    break
            if checkpoints and step < s.total_steps:
                checkpoints.save(step, model, optimizer, schedule, first=first, table=table, samples=last_samples,
                                 losses=losses, mitigations=mitigations)
        if stopped:
            break
    # The last step is always an evaluation point on the full suite, so `point` is the final state.
    train_seconds = time.perf_counter() - loop_started - (timing["eval"] - eval_before_loop)

    with runtime.autocast():
        wise = wise_curve(base_model, model, base.full, s.task) if s.wise_ft else None
    summary = Summary(
        **metrics.summarize(table),
        task_accuracy={"baseline": first.task.accuracy, "final": point.task.accuracy},
        task_gain=point.task.accuracy - first.task.accuracy,
        format_rigidity=point.format_rigidity, refusal=point.refusal, over_refusal=point.over_refusal,
        steps=step, early_stopped=bool(stopped), wise_ft=wise, restored_step=restored,
        fact_split=metrics.group_split(base.level.get("items", {}), final_result.get("items", {}),
                                       {c: [p.group for p in base.full.probes(c)] for c in tier.capabilities}),
        baseline_nll={c: v.nll for c, v in first.capabilities.items()},
        final_nll={c: v.nll for c, v in point.capabilities.items()},
        baseline_nll_parts=base.level.get("nll_parts"), final_nll_parts=final_result.get("nll_parts"),
        baseline_items=base.level.get("items"), final_items=final_result.get("items"),
        seconds=round(time.perf_counter() - started, 3), setup_seconds=round(timing["setup"], 3),
        eval_seconds=round(timing["eval"], 3), train_seconds=round(train_seconds, 3))
    emit(Finished(step=step, summary=summary))
    return summary, model, base_model
