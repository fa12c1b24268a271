"""L2-SP: a uniform pull toward the base weights, w/2 · Σ Δθ² (EWC with a flat Fisher)."""

from __future__ import annotations

import torch

from ..weights import deltas
from .base import Context, Mitigation


class L2SP(Mitigation):
    name = "l2sp"

    def __init__(self, ctx: Context, strength: float):
        self.strength, self.base = strength, ctx.base_weights

    def extra_loss(self, model) -> torch.Tensor:
        return 0.5 * self.strength * sum(d.pow(2).sum() for _, d in deltas(model, self.base))


def build(scenario, ctx: Context) -> L2SP | None:
    return L2SP(ctx, scenario.l2sp_weight) if scenario.l2sp_weight > 0 else None
