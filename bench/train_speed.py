"""Training-loop speed: break-it's wall time, loop step time vs a bare PyTorch loop, evaluation share, and
break-it's wall beside a busy machine.

Run: python -m bench.train_speed [--torch-defaults] [--repeats N] [--contention-only]
- break-it wall: `train()` on the break-it preset, all evaluations included (target <= 10 s).
- step ratio: the loop's per-step time (evaluations excluded) over a bare forward/backward/AdamW
  loop on the same model, the same number of steps and batches of the same shape (target <= 1.15x).
- eval share: the share of break-it's time spent evaluating at the default interval (target <= 10%).
- contention: break-it quiet and beside one busy process per core (started and stopped here), and their
  ratio (target <= 3x; a fair share of a busy machine is 2x), beside the machine's own baseline.
Threads and the OpenMP wait policy are worker/threads.py's rule, as in every run of the lab;
--torch-defaults leaves torch's own (every core, OpenMP's default wait) to show what that rule buys.
Each figure is the median of REPEATS runs; the baseline runs in the same process, interleaved.
"""

from __future__ import annotations

import argparse
import statistics
import time

from forgetlab.worker.threads import configure

from ._common import contention, print_contention

REPEATS = 5


def bare_loop(steps: int, batch_size: int) -> float:
    """Seconds per step of the plainest loop: forward, cross-entropy, backward, AdamW."""
    import torch
    import torch.nn.functional as F

    from forgetlab.core.tiers.synthetic import world
    from forgetlab.worker.engine.encoding import encode, trim
    from forgetlab.worker.engine.model import load

    model, tokenizer = load()
    model.train()
    data = encode(tokenizer, world.examples("support-narrow", 1000, seed=0), length=32)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(0))
    batches = [trim(data.take(order[(i * batch_size) % 960:][:batch_size])) for i in range(steps)]
    started = time.perf_counter()
    for batch in batches:
        logits = model(input_ids=batch.input_ids).logits
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), batch.labels[:, 1:].reshape(-1))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        loss.item()
    return (time.perf_counter() - started) / steps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--torch-defaults", action="store_true",
                        help="torch's own threads and OpenMP wait policy instead of worker/threads.py's rule")
    parser.add_argument("--repeats", type=int, default=REPEATS, help=f"runs per figure (default {REPEATS})")
    parser.add_argument("--contention-only", action="store_true", help="only the quiet/loaded comparison")
    args = parser.parse_args()
    if not args.torch_defaults:
        configure("synthetic")  # before torch loads, as every entry point of the lab does
    import torch

    from forgetlab.core.presets import preset_scenario
    from forgetlab.core.scenario import with_overrides
    from forgetlab.core.tiers.synthetic import world
    from forgetlab.worker.engine.train import train

    world.probe_suite()  # built once per process, as in a warm worker
    scenario = preset_scenario("break-it")
    no_evals = with_overrides(scenario, {"eval_every": 1000})
    train(no_evals)  # warm-up
    policy = "torch's defaults" if args.torch_defaults else "worker/threads.py's rule"
    print(f"torch threads {torch.get_num_threads()} ({policy}); break-it = {scenario.total_steps} steps, "
          f"evaluation every {scenario.eval_every} steps")
    if not args.contention_only:
        walls, shares, loop_steps, bare_steps = [], [], [], []
        for _ in range(args.repeats):
            started = time.perf_counter()
            summary = train(scenario)
            walls.append(time.perf_counter() - started)
            shares.append(summary.eval_seconds / summary.seconds)
            quiet = train(no_evals)
            loop_steps.append(quiet.train_seconds / quiet.steps)
            bare_steps.append(bare_loop(quiet.steps, scenario.batch_size))
        wall, share = statistics.median(walls), statistics.median(shares)
        loop, bare = statistics.median(loop_steps), statistics.median(bare_steps)
        print(f"break-it wall time, all evaluations included: {wall:.2f} s (target <= 10 s)")
        print(f"loop step {loop * 1000:.1f} ms vs bare PyTorch step {bare * 1000:.1f} ms: "
              f"ratio {loop / bare:.2f}x (target <= 1.15x)")
        print(f"evaluation share of break-it at the default interval: {share:.1%} (target <= 10%)")
    print_contention("break-it, all evaluations included", contention(lambda: train(scenario), args.repeats))


if __name__ == "__main__":
    main()
