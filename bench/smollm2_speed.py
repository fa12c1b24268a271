"""SmolLM2 on this machine's CPU: the LoRA break-it scenario end to end, beside a bare peft step, and a
shortened break-it quiet and beside a busy machine.

Prints:
- wall time of `smollm2-break-it` (40 LoRA steps, all evaluations included; target <= 5 min on 2
  cores) and the share of it spent evaluating (target <= 25%). The base's step-0 measurements are
  cached per model checksum (a first run on a machine pays about a minute more; that warm-up run is
  reported separately);
- the loop's training step against a bare peft + torch step on a batch of the same task (target <= 1.1x);
- the loop's achieved FLOP/s as a share of this machine's measured fp32 matmul peak;
- contention: break-it shortened to its first --steps steps (default 8 of 40, one epoch, evaluated at its
  start and, on the full suite, at its end, as every run ends) quiet and beside one busy process per core
  (started and stopped here), and their ratio (target <= 3x; a fair share is 2x), beside the machine's
  own baseline. Shortened because the whole break-it beside the load takes over ten minutes on 2 cores.
Threads and the OpenMP wait policy are worker/threads.py's rule, as in every run of the lab (--threads
overrides the count, as FORGETLAB_TORCH_THREADS does); --torch-defaults leaves torch's own.

Run: .venv/bin/python -m bench.smollm2_speed [--threads N] [--torch-defaults] [--steps N] [--contention-only]
"""

from __future__ import annotations

import argparse
import time

from forgetlab.worker.threads import configure

from ._common import contention, print_contention


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, help="torch threads (default: worker/threads.py's rule)")
    parser.add_argument("--torch-defaults", action="store_true",
                        help="torch's own threads and OpenMP wait policy instead of worker/threads.py's rule")
    parser.add_argument("--steps", type=int, default=8, help="steps of the shortened break-it timed under load")
    parser.add_argument("--contention-only", action="store_true", help="only the quiet/loaded comparison")
    args = parser.parse_args()
    if not args.torch_defaults:
        configure("smollm2", override=args.threads)  # before torch loads, as every entry point of the lab does
    import torch

    from forgetlab.core.tiers import get_tier
    from forgetlab.worker.engine.base_view import base_view
    from forgetlab.worker.engine.train import train

    from ._smollm2 import bare_peft_step_seconds, matmul_peak_flops, scenario, task_tokens, train_flops

    s = scenario()
    tier = get_tier(s.tier)
    started = time.perf_counter()
    base = base_view(tier, s.task)  # loads (converting the GGUF once) and measures or reads the base
    import peft  # noqa: F401  (its first import is not part of any timed run)

    policy = "torch's defaults" if args.torch_defaults else "worker/threads.py's rule"
    print(f"torch threads {torch.get_num_threads()} ({policy}); base ready in {time.perf_counter() - started:.1f} s "
          f"(first time on a machine: conversion and base measurements, then cached)")

    if not args.contention_only:
        summary = train(s)
        print(f"smollm2-break-it: {summary.steps} steps, wall {summary.seconds:.1f} s (target <= 300 s), "
              f"evaluation {summary.eval_seconds:.1f} s = {summary.eval_seconds / summary.seconds:.0%} "
              f"(target <= 25%), setup {summary.setup_seconds:.1f} s")

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

    short = scenario(epochs=1, task_examples=args.steps * s.batch_size, eval_every=args.steps)
    print_contention(f"smollm2-break-it's first {short.total_steps} steps, evaluations included",
                     contention(lambda: train(short), repeats=1))


if __name__ == "__main__":
    main()
