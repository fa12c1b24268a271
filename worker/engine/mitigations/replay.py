"""Replay: rows of every batch drawn from a small fixed buffer of general examples kept from before."""

from __future__ import annotations

from .base import BatchMix, Context, batch_rows


def build(scenario, ctx: Context) -> BatchMix | None:
    rows = batch_rows(scenario, scenario.replay_ratio)
    if not rows:
        return None
    buffer = ctx.tier.general_examples(scenario.replay_buffer, seed=ctx.seed + 202)
    return BatchMix("replay", ctx.pool(buffer), rows, ctx.seed + 2)
