"""The tier catalogue: every world the lab can fine-tune in, by name. Add a tier here in one line."""

from __future__ import annotations

import functools

from ..errors import NotFound
from .base import CapabilityInfo, ModelRef, TaskInfo, Tier

DEFAULT_TIER = "synthetic"


@functools.cache
def all_tiers() -> dict[str, Tier]:
    from .synthetic import SyntheticTier

    return {t.name: t for t in [SyntheticTier()]}


def get_tier(name: str) -> Tier:
    tiers = all_tiers()
    if name not in tiers:
        raise NotFound(f"unknown tier {name!r}; choose one of: {', '.join(tiers)}", "tier")
    return tiers[name]


def tier_of(config: dict) -> Tier:
    """The tier a stored scenario names (runs stored before tiers existed are synthetic)."""
    return get_tier(config.get("tier", DEFAULT_TIER))


def capabilities_of(configs: list[dict]) -> list[CapabilityInfo]:
    """The capabilities of the tiers these scenarios name, each once, in tier order: what a page charts."""
    seen: dict[str, CapabilityInfo] = {}
    for config in configs:
        for name, info in tier_of(config).capabilities.items():
            seen.setdefault(name, info)
    return list(seen.values())


def tier_for(name: str, model_dir: str | None = None) -> Tier:
    """The named tier, around another base model when `model_dir` (a local HF directory) is given."""
    tier = get_tier(name)
    return tier.with_model(model_dir) if model_dir else tier


__all__ = ["CapabilityInfo", "DEFAULT_TIER", "ModelRef", "TaskInfo", "Tier", "all_tiers", "capabilities_of", "get_tier", "tier_for", "tier_of"]
