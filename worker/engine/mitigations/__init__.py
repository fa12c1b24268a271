"""Mitigation hooks, found by name: the registry in core/mitigations/ says which exist and in what order.

LoRA is not in this list: it changes which weights train, so the loop applies it when it
builds the model (`worker.engine.lora`).
"""

from __future__ import annotations

from forgetlab.core.mitigations import MITIGATIONS

from . import early_stopping, ewc, kl, l2sp, mix, replay, safety_mix, self_rehearsal
from .base import Context, Mitigation

# Each declared mitigation's hooks: build(scenario, ctx) -> Mitigation | None (None: left off).
BUILDERS = {"mix": mix.build, "replay": replay.build, "safety_mix": safety_mix.build,
            "self_rehearsal": self_rehearsal.build, "ewc": ewc.build,
            "l2sp": l2sp.build, "kl": kl.build, "early_stopping": early_stopping.build}


def build(scenario, ctx: Context) -> list[Mitigation]:
    """Built on the base, before any update: EWC's Fisher and KL's targets come from the base."""
    return [m for name in MITIGATIONS if (m := BUILDERS[name](scenario, ctx)) is not None]


__all__ = ["BUILDERS", "Context", "Mitigation", "build"]
