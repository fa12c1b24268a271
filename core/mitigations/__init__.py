"""The mitigation registry. Adding one: a declaration here (its fields, checks, words), its hooks in
worker/engine/mitigations/, and a test. The order is the order the loop combines them in (data
mitigations' rows are stacked, penalties summed, in this order), so it is part of the results.
"""

from __future__ import annotations

from . import early_stopping, ewc, kl, l2sp, mix, replay, safety_mix, self_rehearsal
from .base import Mitigation

MITIGATIONS: dict[str, Mitigation] = {m.name: m for m in [
    mix.MITIGATION,
    replay.MITIGATION,
    safety_mix.MITIGATION,
    self_rehearsal.MITIGATION,
    ewc.MITIGATION,
    l2sp.MITIGATION,
    kl.MITIGATION,
    early_stopping.MITIGATION,
]}


def schema_fields() -> dict[str, tuple[type, object]]:
    """Every mitigation's scenario fields, in registry order."""
    return {name: spec for m in MITIGATIONS.values() for name, spec in m.fields.items()}


def describe(config: dict) -> list[str]:
    """The mitigations a scenario switches on, each in a few plain words."""
    return [m.describe(config) for m in MITIGATIONS.values() if m.enabled(config)]


__all__ = ["MITIGATIONS", "Mitigation", "batch_shares", "describe", "schema_fields"]


def batch_shares() -> list[str]:
    """The fields whose values are shares of each batch taken by data mitigations."""
    return [m.batch_share for m in MITIGATIONS.values() if m.batch_share]
