"""The tier catalogue: every world the lab can fine-tune in, by name. Add a tier here in one line."""

from __future__ import annotations

import functools
from pathlib import Path

from ..errors import NotFound
from ..settings import get_settings
from .base import CapabilityInfo, ModelRef, TaskInfo, Tier

DEFAULT_TIER = "synthetic"


@functools.cache
def all_tiers() -> dict[str, Tier]:
    from .smollm2 import SmolLM2Tier
    from .synthetic import SyntheticTier

    tiers = [SyntheticTier(), SmolLM2Tier()] + [local_tier(path) for path in get_settings().allowed_models]
    return {t.name: t for t in tiers}


def local_tier(path: str) -> Tier:
    """A chat model the server's operator allowed (FORGETLAB_ALLOWED_MODELS): SmolLM2's suites, tasks and
    general data around that base. The web takes tier names, never paths, so only these directories load."""
    from .smollm2 import SmolLM2Tier

    tier = SmolLM2Tier().with_model(path)
    tier.name, tier.title = f"local-{Path(path).name}", f"Local model {Path(path).name}"
    tier.description = f"A local chat model ({path}), measured on SmolLM2's suites and tasks."
    return tier


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
