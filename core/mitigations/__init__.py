"""The mitigation registry, found by name: every core/mitigations/<name>.py but base.py declares one
`MITIGATION` called <name>, whose hooks are worker/engine/mitigations/<name>.py. Adding one: those two
files and a test. The registry's order is the declarations' `order` (data mitigations' rows are stacked,
penalties summed, in this order), so it is part of the results.
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import Mitigation


def _declarations() -> list[Mitigation]:
    found = []
    for module in pkgutil.iter_modules(__path__):
        if module.name == "base":
            continue
        declared = importlib.import_module(f"{__name__}.{module.name}").MITIGATION
        if declared.name != module.name:
            raise ImportError(f"core/mitigations/{module.name}.py declares {declared.name!r}: name it {module.name!r}")
        found.append(declared)
    orders = [m.order for m in found]
    if len(set(orders)) != len(orders):
        raise ImportError(f"two mitigations share an order: {sorted(orders)}")
    return sorted(found, key=lambda m: m.order)


MITIGATIONS: dict[str, Mitigation] = {m.name: m for m in _declarations()}


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
