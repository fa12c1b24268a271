"""Safety mix: rows of every batch drawn from the tier's refusal and compliance examples."""

from __future__ import annotations

from .base import BatchMix, Context, batch_rows

SAFETY_POOL = 1000


def build(scenario, ctx: Context) -> BatchMix | None:
    rows = batch_rows(scenario, scenario.safety_mix)
    if not rows:
        return None
    return BatchMix("safety_mix", ctx.pool(ctx.tier.safety_examples(SAFETY_POOL, seed=ctx.seed + 303)), rows,
                    ctx.seed + 3)
