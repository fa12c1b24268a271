"""SmolLM2 on this machine's CPU: the LoRA break-it scenario end to end beside a bare peft step, the full-suite
evaluation (`forgetlab eval --tier smollm2`'s work), and a shortened break-it quiet and beside a busy machine.

Prints, each beside this machine's fp32 matmul peak measured in the same run (a busy machine measures lower, so
the bench also prints each time scaled to the quiet peak in docs/benchmarks.md, an estimate of the quiet time):
- wall time of `smollm2-break-it` (40 LoRA steps, all evaluations included; target <= 150 s on 2 cores) and the
  share of it spent evaluating (target <= 25%). The base's step-0 measurements are cached per model checksum
  (a first run on a machine pays for them too, in the "base ready" line);
- the loop's training step against a bare peft + torch step over the run's own batches (target <= 1.05x);
- the loop's achieved FLOP/s as a share of the measured fp32 matmul peak;
- the full-suite evaluation (every item of every suite; target <= 120 s on 2 cores), split into its parts:
  multiple-choice scoring, greedy generation and the reference NLLs (--eval-only: this alone);
- with --contention (or --contention-only): break-it shortened to its first --steps steps (default 8 of 40,
  one epoch, evaluated at its start and, on the full suite, at its end, as every run ends) quiet and beside
  one busy process per core (started and stopped here), and their ratio (target <= 3x; a fair share is 2x).
Threads and the OpenMP wait policy are worker/threads.py's rule, as in every run of the lab (--threads
overrides the count, as FORGETLAB_TORCH_THREADS does); --torch-defaults leaves torch's own.

Run: .venv/bin/python -m bench.smollm2_speed [--threads N] [--torch-defaults] [--eval-only] [--break-it-only] [--contention]
     [--contention-only] [--steps N] [--save-eval PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import time

from forgetlab.worker.threads import configure

from ._common import contention, print_contention

QUIET_PEAK = 207.3e9  # fp32 matmul FLOP/s of the lab's 2-core machine at a quiet moment (docs/benchmarks.md)


def timed_parts(module, names: list[str]) -> dict[str, float]:
    """Wrap each named function of `module` so that its calls add their seconds to the returned dict."""
    spent = dict.fromkeys(names, 0.0)
    for name in names:
        inner = getattr(module, name)

        def wrapper(*args, _inner=inner, _name=name, **kwargs):
            started = time.perf_counter()
            try:
                return _inner(*args, **kwargs)
            finally:
                spent[_name] += time.perf_counter() - started
        setattr(module, name, wrapper)
    return spent


def beside_peak(seconds: float, peak: float) -> str:
    return f"{seconds:.1f} s (at the quiet peak: about {seconds * peak / QUIET_PEAK:.0f} s)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, help="torch threads (default: worker/threads.py's rule)")
    parser.add_argument("--torch-defaults", action="store_true",
                        help="torch's own threads and OpenMP wait policy instead of worker/threads.py's rule")
    parser.add_argument("--eval-only", action="store_true", help="only the full-suite evaluation")
    parser.add_argument("--break-it-only", action="store_true", help="only break-it and the bare step")
    parser.add_argument("--contention", action="store_true", help="also the quiet/loaded comparison")
    parser.add_argument("--contention-only", action="store_true", help="only the quiet/loaded comparison")
    parser.add_argument("--steps", type=int, default=8, help="steps of the shortened break-it timed under load")
    parser.add_argument("--save-eval", help="write the full-suite evaluation's result here (JSON), to compare "
                                            "two versions of the engine item by item (bench/compare_eval.py)")
    args = parser.parse_args()
    if not args.torch_defaults:
        configure("smollm2", override=args.threads)  # before torch loads, as every entry point of the lab does
    import torch

    from forgetlab.core.tiers import get_tier
    from forgetlab.worker.engine import decode as decode_module
    from forgetlab.worker.engine import evaluate as evaluate_module
    from forgetlab.worker.engine.base_view import base_view
    from forgetlab.worker.engine.evaluate import EncodedSuite, evaluate
    from forgetlab.worker.engine.model import load_model
    from forgetlab.worker.engine.train import train

    from ._smollm2 import bare_peft_step_seconds, matmul_peak_flops, scenario, task_tokens, train_flops

    s = scenario()
    tier = get_tier(s.tier)
    policy = "torch's defaults" if args.torch_defaults else "worker/threads.py's rule"
    peak = matmul_peak_flops("cpu")
    print(f"torch threads {torch.get_num_threads()} ({policy}); fp32 matmul peak measured now {peak / 1e9:.1f} GFLOP/s "
          f"({peak / QUIET_PEAK:.2f}x the quiet {QUIET_PEAK / 1e9:.1f}); load average {os.getloadavg()[0]:.1f}")

    if not args.contention_only and not args.eval_only:
        started = time.perf_counter()
        base = base_view(tier, s.task)  # loads (converting the GGUF once) and measures or reads the base
        import peft  # noqa: F401  (its first import is not part of any timed run)
        print(f"base ready in {time.perf_counter() - started:.1f} s (first time on a machine: conversion and base "
              f"measurements, then cached)")
        summary = train(s)
        print(f"smollm2-break-it: {summary.steps} steps, wall {beside_peak(summary.seconds, peak)} (target <= 150 s), "
              f"evaluation {summary.eval_seconds:.1f} s = {summary.eval_seconds / summary.seconds:.0%} "
              f"(target <= 25%), setup {summary.setup_seconds:.1f} s")

        loop_step = summary.train_seconds / summary.steps
        bare_step = bare_peft_step_seconds(s, "cpu")
        print(f"training step {loop_step:.2f} s vs bare peft + torch step {bare_step:.2f} s: "
              f"ratio {loop_step / bare_step:.2f}x (target <= 1.05x)")

        tokens = task_tokens(s, base.tokenizer)
        parameters = sum(p.numel() for p in base.model.parameters())
        flops = train_flops(parameters, tokens, s.method == "lora")
        achieved = flops / summary.train_seconds
        print(f"{tokens / summary.train_seconds:.0f} tokens/s; achieved {achieved / 1e9:.1f} GFLOP/s = "
              f"{achieved / peak:.0%} of the measured fp32 matmul peak ({peak / 1e9:.1f} GFLOP/s)")
        # About the floor of any fp32 engine on this CPU: the training arithmetic alone at the matmul peak (the usual
        # 4N a real token: a little above the loop's own, which projects only answer positions and reads the opening
        # once).
        print(f"training's arithmetic: {tokens} real tokens ({tokens / summary.steps:.0f} a step), "
              f"{flops / 1e12:.1f} TFLOP = {flops / peak:.1f} s at the measured peak; the 150 s target leaves "
              f"{150 - flops / peak:.1f} s for evaluation and setup")

    if not args.contention_only and not args.break_it_only:
        model, tokenizer = load_model(tier.model())
        encoded = EncodedSuite.build(tier.probe_suite(), tokenizer, max_new_tokens=tier.generation_tokens,
                                     refusal_capabilities=tier.refusal_capabilities)
        spent = timed_parts(evaluate_module, ["choose", "generate_all", "score"])
        # Generated items' references are teacher-forced inside generate_all, from the decode's cache: the seconds
        # they take are counted with the reference NLLs, not with generation.
        forced = timed_parts(decode_module, ["continued_scores"])
        started = time.perf_counter()
        result = evaluate(model, encoded)
        seconds = time.perf_counter() - started
        if args.save_eval:
            with open(args.save_eval, "w") as out:
                json.dump(result, out)
        print(f"full-suite evaluation, {len(encoded.suite.probes)} items: {beside_peak(seconds, peak)} "
              f"(target <= 120 s): multiple choice {spent['choose']:.1f} s, "
              f"generation {spent['generate_all'] - forced['continued_scores']:.1f} s, reference NLLs "
              f"{spent['score'] + forced['continued_scores']:.1f} s (of which {forced['continued_scores']:.1f} s from "
              f"the decode's cache); load average {os.getloadavg()[0]:.1f}")

    if args.contention or args.contention_only:
        short = scenario(epochs=1, task_examples=args.steps * s.batch_size, eval_every=args.steps)
        print_contention(f"smollm2-break-it's first {short.total_steps} steps, evaluations included",
                         contention(lambda: train(short), repeats=1))


if __name__ == "__main__":
    main()
