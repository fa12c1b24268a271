"""Training-loop speed: break-it's wall time, loop step time vs a bare PyTorch loop, evaluation share.

Run: python -m bench.train_speed
- break-it wall: `train()` on the break-it preset, all evaluations included (target <= 10 s).
- step ratio: the loop's per-step time (evaluations excluded) over a bare forward/backward/AdamW
  loop on the same model, the same number of steps and batches of the same shape (target <= 1.15x).
- eval share: the share of break-it's time spent evaluating at the default interval (target <= 10%).
Each figure is the median of REPEATS runs; the baseline runs in the same process, interleaved.
"""

from __future__ import annotations

import statistics
import time

import torch
import torch.nn.functional as F

from forgetlab.core.presets import preset_scenario
from forgetlab.core.scenario import with_overrides
from forgetlab.core.tiers.synthetic import world
from forgetlab.worker.engine.encoding import encode, trim
from forgetlab.worker.engine.model import load
from forgetlab.worker.engine.train import train

REPEATS = 5


def bare_loop(steps: int, batch_size: int) -> float:
    """Seconds per step of the plainest loop: forward, cross-entropy, backward, AdamW."""
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
    world.probe_suite()  # built once per process, as in a warm worker
    scenario = preset_scenario("break-it")
    no_evals = with_overrides(scenario, {"eval_every": 1000})
    train(no_evals)  # warm-up
    walls, shares, loop_steps, bare_steps = [], [], [], []
    for _ in range(REPEATS):
        started = time.perf_counter()
        summary = train(scenario)
        walls.append(time.perf_counter() - started)
        shares.append(summary.eval_seconds / summary.seconds)
        quiet = train(no_evals)
        loop_steps.append(quiet.train_seconds / quiet.steps)
        bare_steps.append(bare_loop(quiet.steps, scenario.batch_size))
    wall, share = statistics.median(walls), statistics.median(shares)
    loop, bare = statistics.median(loop_steps), statistics.median(bare_steps)
    print(f"torch threads {torch.get_num_threads()}; break-it = {scenario.total_steps} steps, "
          f"evaluation every {scenario.eval_every} steps")
    print(f"break-it wall time, all evaluations included: {wall:.2f} s (target <= 10 s)")
    print(f"loop step {loop * 1000:.1f} ms vs bare PyTorch step {bare * 1000:.1f} ms: "
          f"ratio {loop / bare:.2f}x (target <= 1.15x)")
    print(f"evaluation share of break-it at the default interval: {share:.1%} (target <= 10%)")


if __name__ == "__main__":
    main()
