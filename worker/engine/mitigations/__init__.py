"""Mitigations as small pieces: `build()` turns a scenario into the list the loop combines.

LoRA is not in this list: it changes which weights train, so the loop applies it when it
builds the model (`worker.engine.lora`).
"""

from __future__ import annotations

from ..scenario import Scenario
from .base import Context, Mitigation
from .early_stopping import EarlyStopping
from .ewc import EWC
from .kl import KLToBase
from .l2sp import L2SP
from .mixing import general_mix, replay, safety_mix


def build(scenario: Scenario, ctx: Context) -> list[Mitigation]:
    """Built on the base, before any update: EWC's Fisher and KL's targets come from the base."""
    s, rows = scenario, lambda ratio: round(scenario.batch_size * ratio)
    out: list[Mitigation] = []
    if rows(s.mix_ratio):
        out.append(general_mix(ctx, rows(s.mix_ratio)))
    if rows(s.replay_ratio):
        out.append(replay(ctx, rows(s.replay_ratio), s.replay_buffer))
    if rows(s.safety_mix):
        out.append(safety_mix(ctx, rows(s.safety_mix)))
    if s.ewc_lambda > 0:
        out.append(EWC(ctx, s.ewc_lambda, s.ewc_samples))
    if s.l2sp_weight > 0:
        out.append(L2SP(ctx, s.l2sp_weight))
    if s.kl_weight > 0:
        out.append(KLToBase(ctx, s.kl_weight, max(4, s.batch_size // 4)))
    if s.early_stopping:
        out.append(EarlyStopping(s.patience, s.min_delta))
    return out


__all__ = ["Context", "Mitigation", "build"]
