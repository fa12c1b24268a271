"""A class on one GPU: N SmolLM2 LoRA break-it runs trained as one group against one such run alone.

Protocol, written before any GPU ran it: on CUDA (`Runtime.cuda()`: bf16 autocast, float32 weights),
smollm2-break-it's LoRA runs as bench.grouped_speed varies them (seeds 0..N-1, learning rates 1e-3 and 3e-3,
mixes 0 and 0.2, evaluations included); one warm-up run (CUDA's start-up and the base's measurements), then
seed 0's run alone, then the N runs as one group (`train_group`). Prints one run's wall, the group's wall and
their ratio (target: the group of 32 in at most 3x one run's wall), the training FLOPs of all N runs (4 x
parameters x task tokens each: LoRA's forward and input gradients) over the group's wall as TFLOP/s, and its
share of the bf16 matmul peak measured in the same process (one run alone reached 0.30% of an H200's).
Exits 1 without a GPU.

Run: python -m bench.grouped_gpu [--runs 32]   (on a machine with a CUDA GPU)
     python -m bench.grouped_gpu --device cpu --runs 2 --layers 2   (the same code on a CPU: a check that the
     script runs, not a figure)
"""

from __future__ import annotations

import argparse
import sys
import time

import torch

from forgetlab.core.presets import preset_scenario
from forgetlab.worker.engine.grouped import Member, train_group
from forgetlab.worker.engine.model import load_model
from forgetlab.worker.engine.runtime import Runtime
from forgetlab.worker.engine.train import train

from ._smollm2 import matmul_peak_flops, task_tokens, train_flops
from .grouped_speed import scenarios, smollm2_tier


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=32)
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    parser.add_argument("--layers", type=int, default=0, help="SmolLM2 cut to its first LAYERS layers (0: all)")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        print("no CUDA GPU here: nothing to measure")
        return 1
    runtime = Runtime.cuda() if args.device == "cuda" else Runtime.cpu()
    tier = smollm2_tier(args.layers)
    runs = scenarios(preset_scenario("smollm2-break-it").epochs, "smollm2-break-it", args.runs)
    if args.device == "cuda":
        print(f"GPU: {torch.cuda.get_device_name()}; torch {torch.__version__}")
    train(runs[0], tier=tier, runtime=runtime)  # warm-up: CUDA's start-up, the base view

    started = time.perf_counter()
    train(runs[0], tier=tier, runtime=runtime)
    alone = time.perf_counter() - started
    print(f"  one run alone: wall {alone:.1f} s", flush=True)  # now: a group cut short still leaves this

    started = time.perf_counter()
    outcomes = train_group([Member(s, tier=tier) for s in runs], runtime=runtime)
    grouped = time.perf_counter() - started
    assert all(o.summary is not None for o in outcomes)

    base, tokenizer = load_model(tier.model())
    parameters = sum(p.numel() for p in base.parameters())
    flops = sum(train_flops(parameters, task_tokens(s, tokenizer), True) for s in runs)
    peak = matmul_peak_flops(args.device, 8192 if args.device == "cuda" else 1024,
                             torch.bfloat16 if args.device == "cuda" else torch.float32)
    print(f"{args.runs} SmolLM2 LoRA break-it runs ({args.layers or 'all'} layers) on {args.device}")
    print(f"  {args.runs} as one group: wall {grouped:.1f} s = {grouped / alone:.2f}x one run's wall "
          f"(target for 32 on an H200: <= 3x)")
    # A member's eval_seconds counts the whole batched evaluation it waited for: the group's is the longest.
    evaluation = max(o.summary.eval_seconds for o in outcomes)
    print(f"  of which evaluation (the members together): {evaluation:.1f} s ({evaluation / grouped:.0%})")
    print(f"  the group's training FLOPs over its wall: {flops / grouped / 1e12:.2f} TFLOP/s = "
          f"{flops / grouped / peak:.2%} of the measured matmul peak ({peak / 1e12:.1f} TFLOP/s, "
          f"{'bf16' if args.device == 'cuda' else 'float32'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
