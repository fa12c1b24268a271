"""Self-rehearsal: rows of every batch from the base model's own greedy answers to the tier's general prompts.

The answers are generated once, before the first update, from the base (the model the context holds
then). Empty answers are dropped: a row must teach something.
"""

from __future__ import annotations

from ..evaluate import greedy
from .base import BatchMix, Context, batch_rows


def build(scenario, ctx: Context) -> BatchMix | None:
    rows = batch_rows(scenario, scenario.rehearsal_ratio)
    if not rows:
        return None
    prompts = ctx.tier.rehearsal_prompts(scenario.rehearsal_prompts, seed=ctx.seed + 606)
    answers = greedy(ctx.model, ctx.tokenizer, prompts, max_new_tokens=ctx.tier.generation_tokens)
    pairs = [(p, a) for p, a in zip(prompts, answers) if a.strip()]
    return BatchMix("self_rehearsal", ctx.pool(pairs), rows, ctx.seed + 6)
