"""What projecting only the answer positions onto SmolLM2's 49,152-word vocabulary saves (worker/engine/loss.py),
against the model's own loss, which projects every position: interleaved in one process, so a busy machine slows
both alike.

- a LoRA training step's forward and backward (no optimizer step) over smollm2-break-it's first batches;
- the validation loss of the run's 32 validation examples (every evaluation point computes it).
Prints each path's median seconds and their ratio, and the largest relative difference of the losses.

Run: python -m bench.answer_projection [--batches N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from forgetlab.worker.threads import configure


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=6, help="training batches, each timed on both paths")
    args = parser.parse_args()
    configure("smollm2")
    import torch

    from forgetlab.core.tiers import get_tier
    from forgetlab.worker.engine.encoding import encode, trim
    from forgetlab.worker.engine.lora import apply_lora
    from forgetlab.worker.engine.loss import answer_loss
    from forgetlab.worker.engine.model import load_model
    from forgetlab.worker.engine.train import VALIDATION_EXAMPLES

    from ._smollm2 import scenario

    s = scenario()
    tier = get_tier(s.tier)
    model, tokenizer = load_model(tier.model())
    model = apply_lora(model, s)
    data = encode(tokenizer, tier.task_examples(s.task, s.task_examples, s.seed), length=tier.max_seq_len)
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(s.seed)).split(s.task_slots)
    batches = [trim(data.take(rows)) for rows in order[: args.batches]]
    val = encode(tokenizer, tier.validation_examples(s.task, VALIDATION_EXAMPLES, s.seed))
    own = lambda ids, labels: model(input_ids=ids, labels=labels).loss  # noqa: E731
    ours = lambda ids, labels: answer_loss(model, ids, labels)  # noqa: E731

    def step(loss_of, batch) -> tuple[float, float]:
        started = time.perf_counter()
        loss = loss_of(batch.input_ids, batch.labels)
        loss.backward()
        model.zero_grad(set_to_none=True)
        return time.perf_counter() - started, loss.item()

    def validation(loss_of) -> tuple[float, float]:
        started = time.perf_counter()
        with torch.inference_mode():
            loss = loss_of(val.input_ids, val.labels).item()
        return time.perf_counter() - started, loss

    print(f"torch threads {torch.get_num_threads()}; load average {os.getloadavg()[0]:.1f}; "
          f"training batches {[tuple(b.input_ids.shape) for b in batches]}, validation {tuple(val.input_ids.shape)}")
    model.train()
    step(ours, batches[0])  # warm-up
    times = {"own": [], "ours": []}
    worst = 0.0
    for batch in batches:
        (t_own, l_own), (t_ours, l_ours) = step(own, batch), step(ours, batch)
        times["own"].append(t_own)
        times["ours"].append(t_ours)
        worst = max(worst, abs(l_own - l_ours) / l_own)
    own_step, our_step = statistics.median(times["own"]), statistics.median(times["ours"])
    print(f"training step (forward + backward): own loss {own_step:.2f} s, answer positions {our_step:.2f} s, "
          f"ratio {our_step / own_step:.2f}")
    model.eval()
    runs = [(validation(own), validation(ours)) for _ in range(3)]
    own_val = statistics.median(o[0] for o, _ in runs)
    our_val = statistics.median(u[0] for _, u in runs)
    worst = max([worst] + [abs(o[1] - u[1]) / o[1] for o, u in runs])
    print(f"validation loss: own {own_val:.2f} s, answer positions {our_val:.2f} s, ratio {our_val / own_val:.2f}; "
          f"largest relative loss difference {worst:.1e}; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
