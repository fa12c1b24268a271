"""Data mitigations: a share of every batch from general data, a replay buffer, or refusal examples.

They differ only in the pool the rows come from: a general mix draws from a large fresh pool,
replay from a small fixed buffer of earlier general examples, safety mixing from safety data.
"""

from __future__ import annotations

import torch

from .. import world
from ..encoding import Batch, encode
from .base import Context, Mitigation, sample_rows

GENERAL_POOL = 4000  # distinct general examples available to the mix


class BatchMix(Mitigation):
    def __init__(self, name: str, pool: Batch, rows_per_step: int, seed: int):
        self.name, self.pool, self.rows = name, pool, rows_per_step
        self.generator = torch.Generator().manual_seed(seed)

    def extra_examples(self, step: int) -> Batch:
        return sample_rows(self.pool, self.rows, self.generator)


def general_mix(ctx: Context, rows: int) -> BatchMix:
    pairs = world.general_examples(GENERAL_POOL, seed=ctx.seed + 101)
    return BatchMix("mix", encode(ctx.tokenizer, pairs, length=ctx.seq_len), rows, ctx.seed + 1)


def replay(ctx: Context, rows: int, buffer_size: int) -> BatchMix:
    pairs = world.general_examples(buffer_size, seed=ctx.seed + 202)
    return BatchMix("replay", encode(ctx.tokenizer, pairs, length=ctx.seq_len), rows, ctx.seed + 2)


def safety_mix(ctx: Context, rows: int) -> BatchMix:
    pairs = world.examples("safety", 1000, seed=ctx.seed + 303)
    return BatchMix("safety_mix", encode(ctx.tokenizer, pairs, length=ctx.seq_len), rows, ctx.seed + 3)
