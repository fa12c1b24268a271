"""A lone run's training step reading its rows' shared opening (the chat template's system turn) once, against
reading every row whole, on smollm2-break-it's own batches.

Interleaved in one process: for each of the run's first BATCHES batches (in the loop's order, padding trimmed),
a LoRA step's forward and backward through the answer loss both ways, alternately, ROUNDS times; prints the median
seconds of each way, their ratio, and the largest relative differences of the loss and of the adapters'
gradients (the rule they are judged by is in docs/benchmarks.md, "Training reads the shared opening once").

Run: python -m bench.shared_prefix_train [--batches 6] [--rounds 3] [--layers 0]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from forgetlab.worker.threads import configure


def whole_rows_loss(model, input_ids, labels):
    """The answer loss with every row read whole: the path a group's rows take."""
    from forgetlab.worker.engine.loss import answer_losses

    return answer_losses(model, input_ids, labels, [len(input_ids)])[0]


def step(model, params, loss_fn, batch) -> tuple[float, float, list]:
    started = time.perf_counter()
    loss = loss_fn(model, batch.input_ids, batch.labels)
    loss.backward()
    seconds = time.perf_counter() - started
    grads = [p.grad.clone() for p in params]
    for p in params:
        p.grad = None
    return seconds, loss.item(), grads


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--layers", type=int, default=0, help="SmolLM2 cut to its first LAYERS layers (0: all)")
    args = parser.parse_args()
    configure("smollm2")  # worker/threads.py's rule, before torch loads, as every entry point of the lab
    import torch

    from forgetlab.core.tiers import get_tier
    from forgetlab.worker.engine.encoding import encode, trim
    from forgetlab.worker.engine.lora import apply_lora
    from forgetlab.worker.engine.loss import answer_loss
    from forgetlab.worker.engine.model import load_model

    from ._smollm2 import matmul_peak_flops, scenario

    print(f"{torch.get_num_threads()} torch threads; matmul rate {matmul_peak_flops('cpu') / 1e9:.1f} GFLOP/s; "
          f"load average {os.getloadavg()[0]:.1f}")
    s = scenario()
    tier = get_tier(s.tier)
    model, tokenizer = load_model(tier.model())
    if args.layers:
        model.model.layers = model.model.layers[: args.layers]
        model.config.num_hidden_layers = args.layers
    model = apply_lora(model, s)
    torch.manual_seed(0)
    params = [p for p in model.parameters() if p.requires_grad]
    with torch.no_grad():  # random adapters: B starts at zero, which would leave A's gradient zero
        for p in params:
            p.normal_(0, 0.02)
    model.train()
    data = encode(tokenizer, tier.task_examples(s.task, s.task_examples, s.seed),
                  length=min(model.config.max_position_embeddings, tier.max_seq_len))
    order = torch.Generator().manual_seed(s.seed)
    batches = [trim(data.take(rows)) for rows in torch.randperm(len(data), generator=order).split(s.task_slots)]
    batches = batches[: args.batches]
    times = {"whole": [], "shared": []}
    loss_gap = grad_gap = 0.0
    for _ in range(args.rounds):
        for batch in batches:
            whole, whole_loss, whole_grads = step(model, params, whole_rows_loss, batch)
            shared, shared_loss, shared_grads = step(model, params, answer_loss, batch)
            times["whole"].append(whole)
            times["shared"].append(shared)
            loss_gap = max(loss_gap, abs(shared_loss - whole_loss) / abs(whole_loss))
            grad_gap = max(grad_gap, max(float((a - b).norm() / b.norm()) for a, b in zip(shared_grads, whole_grads)))
    whole, shared = (statistics.median(times[k]) for k in ("whole", "shared"))
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    rows = sum(len(b) for b in batches)
    print(f"smollm2-break-it's first {len(batches)} batches ({rows} rows), {args.layers or 'all'} layers, "
          f"{args.rounds} rounds, forward and backward of a LoRA step:")
    print(f"  every row whole: median {whole:.3f} s; shared opening read once: median {shared:.3f} s; "
          f"ratio {shared / whole:.2f}x")
    print(f"  largest relative difference: loss {loss_gap:.1e}, an adapter's gradient {grad_gap:.1e}")


if __name__ == "__main__":
    main()
