"""A SmolLM2 run's peak resident memory and wall time with glibc's mmap threshold fixed, against glibc's default.
glibc serves a block above that threshold with its own mapping, returned to the system when freed, but after the
first such free it raises the threshold to the block's size (up to 32 MiB), so a run's activations and KV caches
come from the heap from then on, and the heap keeps them. Fixing the threshold (`mallopt(M_MMAP_THRESHOLD)`)
also turns the raising off. The lab does not do it: by the rules below no threshold measured was kept
(docs/benchmarks.md, "glibc's allocator and a run's memory").

Run: python -m bench.malloc_threshold [--rounds 2] [--steps 8] [--threads 2] [--thresholds 128 ...]
Each run is a fresh process (peak resident memory is per process): smollm2-break-it's LoRA on the whole
SmolLM2, shortened to one epoch of `8 * steps` tickets, its evaluations included (steps 0, 5 and the last), the
arms alternating: glibc's default, then the threshold fixed at each of `--thresholds` (KiB; 128 by default).
Prints each run's peak resident memory (ru_maxrss), wall and training time, the medians, each fixed arm's
ratios to the default, and whether every arm's summaries are equal (the allocator cannot change a number),
beside the machine's float32 matmul rate measured before each run.
Rule, written before the first measured run: a threshold is kept if the median peak falls by at least 25%
and the median wall rises by at most 5%, with equal summaries; of several kept, the lowest peak.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import json
import resource
import statistics
import subprocess
import sys
import time

M_MMAP_THRESHOLD = -3  # mallopt's parameter number, from glibc's malloc.h


def fix_mmap_threshold(threshold: int = 128 * 1024) -> bool:
    """Fix glibc's mmap threshold for this process; False where the C library is not glibc."""
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):
        return False
    return bool(mallopt and mallopt(M_MMAP_THRESHOLD, threshold) == 1)


def child(arm: str, steps: int, threads: int) -> None:
    if arm != "default":  # "<KiB> KiB"
        assert fix_mmap_threshold(int(arm.split()[0]) * 1024), "not glibc: nothing to compare"
    import torch

    torch.set_num_threads(threads)
    from bench._common import machine_baseline
    from bench.grouped_speed import scenarios, smollm2_tier
    from forgetlab.worker.engine.train import train

    gflops = machine_baseline(threads)
    scenario = scenarios(1, "smollm2-break-it", 1, task_examples=8 * steps)[0]
    tier = smollm2_tier(0)
    started = time.perf_counter()
    summary = train(scenario, tier=tier)
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # kB -> GB
    kept = summary.model_dump(mode="json", exclude={"seconds", "setup_seconds", "eval_seconds", "train_seconds"})
    print(json.dumps({"arm": arm, "peak_gb": peak, "wall": wall, "train": summary.train_seconds,
                      "gflops": gflops, "summary": kept}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--thresholds", type=int, nargs="+", default=[128], help="fixed thresholds, KiB")
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.steps, args.threads)
    arms = ["default"] + [f"{kib} KiB" for kib in args.thresholds]
    results = {arm: [] for arm in arms}
    for _ in range(args.rounds):
        for arm in arms:
            out = subprocess.run([sys.executable, "-m", "bench.malloc_threshold", "--child", arm, "--steps",
                                  str(args.steps), "--threads", str(args.threads)],
                                 check=True, capture_output=True, text=True).stdout
            row = json.loads(out.strip().splitlines()[-1])
            results[arm].append(row)
            print(f"  {arm:9s}: peak {row['peak_gb']:.2f} GB, wall {row['wall']:.1f} s "
                  f"(training {row['train']:.1f} s), matmul {row['gflops']:.0f} GFLOP/s", flush=True)
    med = {arm: {k: statistics.median(r[k] for r in rows) for k in ("peak_gb", "wall", "train")}
           for arm, rows in results.items()}
    same = all(r["summary"] == results["default"][0]["summary"] for rows in results.values() for r in rows)
    print(f"SmolLM2 LoRA, {args.steps} steps with evaluations, {args.threads} threads, {args.rounds} rounds (medians):")
    for arm in arms:
        print(f"  {arm:9s}: peak {med[arm]['peak_gb']:.2f} GB, wall {med[arm]['wall']:.1f} s, "
              f"training {med[arm]['train']:.1f} s")
    kept = []
    for arm in arms[1:]:
        peak, wall = med[arm]["peak_gb"] / med["default"]["peak_gb"], med[arm]["wall"] / med["default"]["wall"]
        print(f"  {arm} / default: peak {peak:.2f}x, wall {wall:.2f}x")
        if peak <= 0.75 and wall <= 1.05 and same:
            kept.append((med[arm]["peak_gb"], arm))
    print(f"  summaries equal: {same}")
    print(f"  rule (peak -25% or more, wall +5% at most, equal summaries; of several, the lowest peak): "
          f"{'kept: ' + min(kept)[1] if kept else 'none kept'}")


if __name__ == "__main__":
    main()
