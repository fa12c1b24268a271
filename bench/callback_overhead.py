"""The Trainer callback's overhead: how much longer fine-tuning takes when forgetlab measures it as it trains.

On the truncated SmolLM2 (its first 2 layers, built from the shipped GGUF as the tests build it), fine-tuned by
transformers.Trainer on the support task (batches of 8 tickets with their replies), full fine-tuning, on CPU:

- the training step alone (a Trainer without the callback);
- one point as the callback measures it between the first and the last (every suite, the tier's quicker subset
  of probes), and one on the full suites (the base and the last point);
- the overhead at the default cadence (a point every DEFAULT_EVERY steps) as a share of training time, in steady
  state and over a 1000-step run with its base and last points (target <= 10%);
- a check of that arithmetic: a Trainer run with the callback at a tight cadence, its measured wall time beside
  the training-alone time plus what the callback reports it spent measuring (the rest is the callback's own
  bookkeeping and the writes to the lab database).

Also printed: the machine baseline (torch threads, this machine's measured fp32 matmul peak, the load average),
since every figure here moves with a busy machine; the share moves far less than the seconds.

Run: .venv/bin/python -m bench.callback_overhead [--threads N] [--steps 20]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import torch

from forgetlab.core.settings import get_settings
from forgetlab.core.tiers.smollm2 import data
from forgetlab.integrations.meter import Meter
from forgetlab.integrations.transformers import ForgetlabCallback
from forgetlab.integrations.watch import DEFAULT_EVERY
from forgetlab.worker.engine import gguf_base
from forgetlab.worker.engine.encoding import encode
from forgetlab.worker.engine.model import load

from ._smollm2 import matmul_peak_flops

BATCH = 8
LAYERS = 2


def truncated_smollm2() -> Path:
    converted = gguf_base.ensure_converted(get_settings().data_dir)
    return gguf_base.truncate(converted, converted.parent / f"smollm2-{LAYERS}l", LAYERS)


def trainer_seconds(path: Path, steps: int, callback=None) -> float:
    """Wall seconds of a Trainer fine-tuning `steps` steps (its train() call, the callback's work included)."""
    from transformers import Trainer, TrainingArguments

    model, tokenizer = load(path)
    batch = encode(tokenizer, data.load_task("support", "train")[: BATCH * steps])
    rows = [{"input_ids": batch.input_ids[i], "labels": batch.labels[i]} for i in range(len(batch))]
    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(output_dir=out, max_steps=steps, per_device_train_batch_size=BATCH, learning_rate=1e-4,
                                 logging_steps=5, save_strategy="no", report_to="none", use_cpu=True,
                                 disable_tqdm=True)
        trainer = Trainer(model=model, args=args, train_dataset=rows, processing_class=tokenizer,
                          callbacks=[callback] if callback else [])
        started = time.perf_counter()
        trainer.train()
        return time.perf_counter() - started


def point_seconds(path: Path, full: bool, repeats: int = 3) -> float:
    """Median seconds of one measured point (every suite of the tier, default probe counts)."""
    model, tokenizer = load(path)
    meter = Meter(tokenizer)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        meter.measure(model, full=full)
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--steps", type=int, default=20, help="Trainer steps timed (each run)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    path = truncated_smollm2()
    print(f"machine: torch threads {args.threads}, fp32 matmul peak {matmul_peak_flops('cpu') / 1e9:.1f} GFLOP/s, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"model: SmolLM2-135M-Instruct truncated to {LAYERS} layers; Trainer, batch {BATCH}, full fine-tuning, CPU")

    trainer_seconds(path, 2)  # warm-up: first-call allocations and imports
    alone = trainer_seconds(path, args.steps)
    step = alone / args.steps
    quick, full = point_seconds(path, full=False), point_seconds(path, full=True)
    print(f"training alone: {args.steps} steps in {alone:.1f} s = {step:.2f} s/step")
    print(f"one measured point: {quick:.2f} s (quicker subset), {full:.2f} s (full suites: base and last point)")

    steady = quick / (DEFAULT_EVERY * step)
    run_steps = 1000
    points = run_steps // DEFAULT_EVERY - 1  # the points between the base and the last
    whole = (2 * full + points * quick) / (run_steps * step)
    print(f"overhead at the default cadence (a point every {DEFAULT_EVERY} steps): {steady:.1%} of training time "
          f"in steady state; {whole:.1%} over a {run_steps}-step run with its base and last points (target <= 10%)")

    every = max(1, args.steps // 4)
    with tempfile.TemporaryDirectory() as lab:
        callback = ForgetlabCallback(database=f"sqlite:///{lab}/lab.db", every=every)
        with_callback = trainer_seconds(path, args.steps, callback)
        spent = callback.seconds
    print(f"check, a point every {every} steps over {args.steps} steps: {with_callback:.1f} s with the callback = "
          f"training alone {alone:.1f} s + measuring {spent:.1f} s, other {with_callback - alone - spent:+.1f} s "
          f"(bookkeeping, database writes, noise)")


if __name__ == "__main__":
    main()
