"""The GPU path, checked: a SmolLM2 scenario on CUDA against the same scenario on the CPU.

Runs `smollm2-break-it` (LoRA, 40 steps) on CUDA (bf16 autocast, float32 weights) twice in one process
(the first pays CUDA's start-up) and prints the wall time (target <= 60 s on an H200), step time and
tokens/s; then runs a 10-step copy on both devices and compares their final metrics (and, for
information, on CUDA in float32, which tells a precision difference from a device one). Tolerance, stated before the run:
bf16 forwards differ from float32 in the last bits, so greedy generations can flip on a few probes:
per capability, |accuracy difference| <= 0.25 (4 of 16 probes) and |reference NLL difference| <= 0.1
nats. Exits 1 when the check fails or no GPU is there.

Run: python -m bench.gpu_check   (on a machine with a CUDA GPU)
     python -m bench.gpu_check --speed   (only the speed half: the wall, the step and the bare peft step)
"""

from __future__ import annotations

import argparse
import sys
import time

import torch

from forgetlab.core.tiers import get_tier
from forgetlab.worker.engine.runtime import Runtime
from forgetlab.worker.engine.base_view import base_view
from forgetlab.worker.engine.train import train

from ._smollm2 import bare_peft_step_seconds, matmul_peak_flops, scenario, task_tokens, train_flops

ACCURACY_TOLERANCE, NLL_TOLERANCE = 0.25, 0.1


def timed(s, runtime):
    started = time.perf_counter()
    summary = train(s, runtime=runtime)
    return summary, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--speed", action="store_true", help="skip the CUDA-against-CPU comparison")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("no CUDA GPU here: nothing to check")
        return 1
    print(f"GPU: {torch.cuda.get_device_name()}; torch {torch.__version__}")
    cuda, cpu = Runtime.cuda(), Runtime.cpu()
    s = scenario()
    tier = get_tier(s.tier)
    started = time.perf_counter()
    base = base_view(tier, s.task, cuda.for_base_level)  # what a run on CUDA measures its base in
    print(f"base on cuda ready in {time.perf_counter() - started:.1f} s (conversion and base measurements)")

    cold, cold_wall = timed(s, cuda)
    # The same run again in the same process: CUDA's first kernels, the caching allocator and cuBLAS
    # heuristics are warm now, so the difference between the two is the one-off start-up cost.
    summary, wall = timed(s, cuda)
    print(f"first run in this process: wall {cold_wall:.1f} s, step {cold.train_seconds / cold.steps * 1000:.0f} ms; "
          f"second run: wall {wall:.1f} s, step {summary.train_seconds / summary.steps * 1000:.0f} ms")
    tokens = task_tokens(s, base.tokenizer)
    step = summary.train_seconds / summary.steps
    parameters = sum(p.numel() for p in base.model.parameters())
    achieved = train_flops(parameters, tokens, True) / summary.train_seconds
    peak = matmul_peak_flops("cuda", 8192, torch.bfloat16)
    print(f"smollm2-break-it on cuda: {summary.steps} steps, wall {wall:.1f} s (target <= 60 s), evaluation "
          f"{summary.eval_seconds:.1f} s, step {step * 1000:.0f} ms, {tokens / summary.train_seconds:.0f} tokens/s, "
          f"{achieved / 1e12:.2f} TFLOP/s = {achieved / peak:.2%} of the measured bf16 matmul peak "
          f"({peak / 1e12:.0f} TFLOP/s)")
    bare = bare_peft_step_seconds(s, "cuda")
    print(f"loop step {step * 1000:.0f} ms vs bare peft step {bare * 1000:.0f} ms: ratio {step / bare:.2f}x")

    if args.speed:
        return 0
    short = scenario(epochs=1, task_examples=80)  # 10 steps: the CPU side must stay short
    on_gpu, gpu_wall = timed(short, cuda)
    on_cpu, cpu_wall = timed(short, cpu)
    # Not part of the check: the same run on CUDA in float32 separates the device from the precision.
    on_fp32, _ = timed(short, Runtime("cuda", None))
    print(f"\n{short.steps_per_epoch} steps: cuda {gpu_wall:.1f} s, cpu ({torch.get_num_threads()} threads) {cpu_wall:.1f} s")
    fp32_nll = final_nll(on_fp32)
    print("cuda float32 vs cpu, reference NLL difference per capability (information, not the check): " + ", ".join(
        f"{name} {fp32_nll[name] - final_nll(on_cpu)[name]:+.3f}" for name in fp32_nll))
    failures = []
    print(f"{'capability':<14}{'acc cuda':>9}{'acc cpu':>9}{'nll cuda':>10}{'nll cpu':>9}")
    gpu_nll, cpu_nll = final_nll(on_gpu), final_nll(on_cpu)
    for name in on_cpu.final:
        a, b = on_gpu.final[name], on_cpu.final[name]
        print(f"{name:<14}{a:>9.3f}{b:>9.3f}{gpu_nll.get(name, float('nan')):>10.3f}{cpu_nll.get(name, float('nan')):>9.3f}")
        if abs(a - b) > ACCURACY_TOLERANCE:
            failures.append(f"{name} accuracy {a:.3f} vs {b:.3f}")
        if name in gpu_nll and abs(gpu_nll[name] - cpu_nll[name]) > NLL_TOLERANCE:
            failures.append(f"{name} nll {gpu_nll[name]:.3f} vs {cpu_nll[name]:.3f}")
    task_gap = abs(on_gpu.task_accuracy.final - on_cpu.task_accuracy.final)
    print(f"task accuracy cuda {on_gpu.task_accuracy.final:.3f}, cpu {on_cpu.task_accuracy.final:.3f}")
    if task_gap > ACCURACY_TOLERANCE:
        failures.append(f"task accuracy differs by {task_gap:.3f}")
    print("GPU check: " + ("PASSED, within tolerance" if not failures else "FAILED: " + "; ".join(failures)))
    return 1 if failures else 0


def final_nll(summary) -> dict[str, float]:
    """The final reference NLL per capability, kept by the engine beside accuracy."""
    return dict(summary.final_nll)


if __name__ == "__main__":
    sys.exit(main())
