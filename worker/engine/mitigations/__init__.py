"""Mitigation hooks, found by name: worker/engine/mitigations/<name>.py (but base.py) holds the hooks of the
mitigation core/mitigations/<name>.py declares; the registry there says which exist and in what order.

LoRA is not a mitigation module: it changes which weights train, so the loop applies it when it
builds the model (`worker.engine.lora`).
"""

from __future__ import annotations

import importlib
import pkgutil

from forgetlab.core.mitigations import MITIGATIONS

from .base import Context, Mitigation

# Each hooks module's build(scenario, ctx) -> Mitigation | None (None: left off), by module name.
BUILDERS = {module.name: importlib.import_module(f"{__name__}.{module.name}").build
            for module in pkgutil.iter_modules(__path__) if module.name != "base"}


def build(scenario, ctx: Context) -> list[Mitigation]:
    """Built on the base, before any update: EWC's Fisher and KL's targets come from the base."""
    return [m for name in MITIGATIONS if (m := BUILDERS[name](scenario, ctx)) is not None]


__all__ = ["BUILDERS", "Context", "Mitigation", "build"]
