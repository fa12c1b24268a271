"""Distillation to the base on general prompts (Learning without Forgetting).

The base model's answer distributions on a fixed pool of general examples are computed once,
before training. Each step adds KL(base ‖ current) on a few rows of that pool, so the model
keeps answering general prompts the way the base did. At step 0 the KL is exactly 0.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..encoding import IGNORE
from .base import Context, Mitigation

POOL = 512


class KLToBase(Mitigation):
    name = "kl"

    def __init__(self, ctx: Context, strength: float, rows_per_step: int):
        self.strength, self.rows = strength, rows_per_step
        self.pool = ctx.pool(ctx.tier.general_examples(POOL, seed=ctx.seed + 505), padded=False)
        with torch.inference_mode():
            ctx.model.eval()
            self.base_logp = F.log_softmax(ctx.model(input_ids=self.pool.input_ids).logits[:, :-1].float(), -1)
        self.generator = torch.Generator().manual_seed(ctx.seed + 5)

    def divergence(self, model, index: torch.Tensor) -> torch.Tensor:
        rows = self.pool.take(index)
        logp = F.log_softmax(model(input_ids=rows.input_ids).logits[:, :-1].float(), -1)
        base = self.base_logp[index]
        mask = (rows.labels[:, 1:] != IGNORE).float()
        per_token = (base.exp() * (base - logp)).sum(-1)
        return (per_token * mask).sum() / mask.sum()

    def extra_loss(self, model) -> torch.Tensor:
        index = torch.randint(len(self.pool), (self.rows,), generator=self.generator)
        return self.strength * self.divergence(model, index)


def build(scenario, ctx: Context) -> KLToBase | None:
    if scenario.kl_weight <= 0:
        return None
    return KLToBase(ctx, scenario.kl_weight, max(4, scenario.batch_size // 4))
