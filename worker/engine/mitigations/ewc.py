"""Elastic Weight Consolidation: penalise moving the weights the general capabilities rely on.

The diagonal Fisher information is estimated once, on general data, from the base model:
F_i = E[(∂ log p / ∂θ_i)²]. It is rescaled to mean 1, so EWC with a flat Fisher is exactly
L2-SP and λ reads the same in both. Penalty: λ/2 · Σ F_i Δθ_i².
"""

from __future__ import annotations

import torch

from ..weights import deltas
from .base import Context, Mitigation

MICRO_BATCH = 4  # small batches keep the squared-gradient estimate close to the per-example Fisher


def diagonal_fisher(model, batch) -> dict[str, torch.Tensor]:
    params = {name: p for name, p in model.named_parameters()}
    fisher = {name: torch.zeros_like(p) for name, p in params.items()}
    was_training, grads_on = model.training, {n: p.requires_grad for n, p in params.items()}
    model.eval()
    for p in params.values():
        p.requires_grad_(True)
    chunks = range(0, len(batch), MICRO_BATCH)
    for start in chunks:
        rows = batch.take(torch.arange(start, min(start + MICRO_BATCH, len(batch))))
        model.zero_grad(set_to_none=True)
        model(input_ids=rows.input_ids, labels=rows.labels).loss.backward()
        for name, p in params.items():
            if p.grad is not None:
                fisher[name] += p.grad.detach() ** 2 / len(chunks)
    model.zero_grad(set_to_none=True)
    for name, p in params.items():
        p.requires_grad_(grads_on[name])
    model.train(was_training)
    mean = torch.cat([f.flatten() for f in fisher.values()]).mean().clamp(min=1e-12)
    return {name: f / mean for name, f in fisher.items()}


class EWC(Mitigation):
    name = "ewc"

    def __init__(self, ctx: Context, strength: float, samples: int):
        self.strength = strength
        pairs = ctx.tier.general_examples(samples, seed=ctx.seed + 404)
        self.fisher = diagonal_fisher(ctx.model, ctx.pool(pairs, padded=False))
        self.base = ctx.base_weights

    def penalty(self, model) -> torch.Tensor:
        moved = list(deltas(model, self.base))
        if len(self.fisher) > len(moved):
            # The Fisher covers every weight (its mean-1 scale is over all of them), but only the weights training
            # moves enter the penalty (LoRA: the adapted layers'); the rest is let go at the first step, so a
            # SmolLM2 LoRA run keeps tens of MB of it, not 540 MB.
            self.fisher = {name: self.fisher[name] for name, _ in moved}
        return sum((self.fisher[name] * d.pow(2)).sum() for name, d in moved)

    def extra_loss(self, model) -> torch.Tensor:
        return 0.5 * self.strength * self.penalty(model)


def build(scenario, ctx: Context) -> EWC | None:
    return EWC(ctx, scenario.ewc_lambda, scenario.ewc_samples) if scenario.ewc_lambda > 0 else None
