"""SmolLM2 on this machine's CPU: the LoRA break-it scenario end to end, beside a bare peft step.

Prints:
- wall time of `smollm2-break-it` (40 LoRA steps, all evaluations included; target <= 5 min on 2
  cores) and the share of it spent evaluating (target <= 25%). The base's step-0 measurements are
  cached per model checksum (a first run on a machine pays about a minute more; that warm-up run is
  reported separately);
- the loop's training step against a bare peft + torch step on a batch of the same task (target <= 1.1x);
- the loop's achieved FLOP/s as a share of this machine's measured fp32 matmul peak.

Run: .venv/bin/python -m bench.smollm2_speed [--threads N]
"""

from __future__ import annotations

import argparse
import time

import torch

from forgetlab.core.tiers import get_tier
from forgetlab.worker.engine.base_view import base_view
from forgetlab.worker.engine.train import train

from ._smollm2 import bare_peft_step_seconds, matmul_peak_flops, scenario, task_tokens, train_flops


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    s = scenario()
    tier = get_tier(s.tier)
    started = time.perf_counter()
    base = base_view(tier, s.task)  # loads (converting the GGUF once) and measures or reads the base
    print(f"torch threads {args.threads}; base ready in {time.perf_counter() - started:.1f} s "
          f"(first time on a machine: conversion and base measurements, then cached)")

    summary = train(s)
    print(f"smollm2-break-it: {summary.steps} steps, wall {summary.seconds:.1f} s (target <= 300 s), "
          f"evaluation {summary.eval_seconds:.1f} s = {summary.eval_seconds / summary.seconds:.0%} (target <= 25%), "
          f"setup {summary.setup_seconds:.1f} s")

    loop_step = summary.train_seconds / summary.steps
    bare_step = bare_peft_step_seconds(s, "cpu")
    print(f"training step {loop_step:.2f} s vs bare peft + torch step {bare_step:.2f} s: "
          f"ratio {loop_step / bare_step:.2f}x (target <= 1.1x)")

    tokens = task_tokens(s, base.tokenizer)
    parameters = sum(p.numel() for p in base.model.parameters())
    achieved = train_flops(parameters, tokens, s.method == "lora") / summary.train_seconds
    peak = matmul_peak_flops("cpu")
    print(f"{tokens / summary.train_seconds:.0f} tokens/s; achieved {achieved / 1e9:.1f} GFLOP/s = "
          f"{achieved / peak:.0%} of the measured fp32 matmul peak ({peak / 1e9:.1f} GFLOP/s)")


if __name__ == "__main__":
    main()
