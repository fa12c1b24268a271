"""Grouped training's throughput: 8 synthetic LoRA runs trained as one group vs the same runs one by one.

Run: python -m bench.grouped_speed [--threads N] [--epochs E (default: break-it's 5)]
- one by one: `train()` on each of the 8 runs in turn, in one warm process, as a sweep's runs train today
  one after the other on a worker.
- grouped: `train_group()` on the same 8 runs (worker/engine/grouped.py): one frozen base, one batch.
Both on the same torch threads (default 1, as the lab's workers run), in the same process, after a warm-up; the
runs are break-it's LoRA variant with seeds, learning rates and mixes varied, evaluations included.
Target: grouped throughput >= 2.5x one by one. Prints both walls, the ratio, and the machine's matmul rate
measured just before (on a loaded machine every figure is lower; the ratio is the one to read).
"""

from __future__ import annotations

import argparse
import time

import torch

from bench._common import machine_baseline
from forgetlab.core.presets import preset_scenario
from forgetlab.core.scenario import with_overrides
from forgetlab.worker.engine.grouped import Member, train_group
from forgetlab.worker.engine.train import train

RUNS = 8


def scenarios(epochs: int):
    base = with_overrides(preset_scenario("break-it"), {"epochs": epochs})
    return [with_overrides(base, {"method": "lora", "seed": i, "lr": [1e-3, 3e-3][i % 2],
                                  "mix_ratio": [0.0, 0.2][(i // 2) % 2]}) for i in range(RUNS)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)  # as the lab's workers run
    parser.add_argument("--epochs", type=int, default=preset_scenario("break-it").epochs)
    args = parser.parse_args()
    threads = args.threads
    torch.set_num_threads(threads)
    runs = scenarios(args.epochs)
    train(with_overrides(runs[0], {"epochs": 1}))  # warm-up: the base view, peft's import
    gflops = machine_baseline(threads)

    started = time.perf_counter()
    alone = [train(s) for s in runs]
    one_by_one = time.perf_counter() - started

    started = time.perf_counter()
    outcomes = train_group([Member(s) for s in runs])
    grouped = time.perf_counter() - started
    assert all(o.summary is not None for o in outcomes)
    worst = max(abs(o.summary.task_accuracy.final - a.task_accuracy.final) for o, a in zip(outcomes, alone))

    steps = sum(a.steps for a in alone)
    print(f"grouped training, {RUNS} synthetic LoRA runs ({steps} steps in all), {threads} torch thread(s)")
    print(f"  machine baseline: float32 matmul {gflops:.1f} GFLOP/s on {threads} thread(s), measured now")
    print(f"  one by one: wall {one_by_one:.1f} s ({RUNS / one_by_one * 60:.1f} runs/min)")
    print(f"  grouped:    wall {grouped:.1f} s ({RUNS / grouped * 60:.1f} runs/min)")
    print(f"  throughput ratio grouped / one by one: {one_by_one / grouped:.2f}x (target >= 2.5x)")
    print(f"  largest final task accuracy difference, grouped vs alone: {worst:.4f}")


if __name__ == "__main__":
    main()
