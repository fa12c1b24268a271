"""A general mix: rows of every batch drawn fresh from a large pool of the tier's general data."""

from __future__ import annotations

from .base import BatchMix, Context, batch_rows

GENERAL_POOL = 4000  # distinct general examples available to the mix


def build(scenario, ctx: Context) -> BatchMix | None:
    rows = batch_rows(scenario, scenario.mix_ratio)
    if not rows:
        return None
    return BatchMix("mix", ctx.pool(ctx.tier.general_examples(GENERAL_POOL, seed=ctx.seed + 101)), rows, ctx.seed + 1)
