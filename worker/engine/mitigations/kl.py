"""Distillation to the base on general prompts (Learning without Forgetting).

Each step draws a few rows of a fixed pool of general examples and adds KL(base ‖ current) over their answer
positions (the positions whose next token is a label), so the model keeps answering general prompts the way the
base did. At step 0 the KL is exactly 0.

The base's distributions are computed on the fly, each step, for the drawn rows only, by the untouched base the
run already holds (`Context.base_model`, the model every run is copied from): no copy of the weights, and memory
that scales with the rows of one step, not with pool × positions × vocabulary (on SmolLM2's 49,152-token
vocabulary, keeping the whole pool's log-probs took more than 18 GB). The base runs in float32 with no autocast,
as the precomputed targets did, so the targets are the same numbers up to the order of float reductions.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..encoding import IGNORE, Batch
from .base import Context, Mitigation

POOL = 512


class KLToBase(Mitigation):
    name = "kl"

    def __init__(self, ctx: Context, strength: float, rows_per_step: int):
        self.strength, self.rows = strength, rows_per_step
        self.pool = ctx.pool(ctx.tier.general_examples(POOL, seed=ctx.seed + 505), padded=False)
        self.base = ctx.base_model
        self.generator = torch.Generator().manual_seed(ctx.seed + 5)

    @torch.no_grad()
    def base_logp(self, rows: Batch, answer: torch.Tensor) -> torch.Tensor:
        """The base's log-probabilities at the rows' answer positions, (answer positions, vocabulary), float32."""
        device = rows.input_ids.device.type
        with torch.autocast(device, enabled=False):
            logits = self.base(input_ids=rows.input_ids).logits[:, :-1][answer]
        return F.log_softmax(logits.float(), -1)

    def divergence(self, model, index: torch.Tensor) -> torch.Tensor:
        """Mean KL(base ‖ model) over the answer positions of the pool's rows `index`."""
        rows = self.pool.take(index)
        answer = rows.labels[:, 1:] != IGNORE  # position t predicts token t + 1: an answer token
        base = self.base_logp(rows, answer)
        logp = F.log_softmax(model(input_ids=rows.input_ids).logits[:, :-1][answer].float(), -1)
        return (base.exp() * (base - logp)).sum(-1).mean()

    def extra_loss(self, model) -> torch.Tensor:
        index = torch.randint(len(self.pool), (self.rows,), generator=self.generator)
        return self.strength * self.divergence(model, index)


def build(scenario, ctx: Context) -> KLToBase | None:
    if scenario.kl_weight <= 0:
        return None
    return KLToBase(ctx, scenario.kl_weight, max(4, scenario.batch_size // 4))
