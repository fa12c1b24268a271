"""Sweeps: a grid over scenario fields, expanded into validated scenarios. Torch-free.

A grid is {"base": {fields...} or a preset name, "grid": {field: [values...]}}; every
combination of the grid's values, laid over the base, is one run. The whole sweep is checked
before anything is queued: an unknown field, a bad value or too many runs is an error that
names the field, and no run starts. A field of `base` is named `base: FIELD`, as an assignment's
settings are `settings: FIELD` (the API's schema for both is the scenario's fields).
"""

from __future__ import annotations

import itertools
from typing import Any

from .presets import PRESETS
from .scenario import Scenario, ScenarioError, coerce, parse

MAX_SWEEP_RUNS = 48  # about 5 minutes of 2 CPU cores at the default scenario's size


def expand(spec: dict[str, Any]) -> list[Scenario]:
    """The grid's scenarios, in a stable order (the last field varies fastest)."""
    if not isinstance(spec, dict):
        raise ScenarioError({"sweep": "a sweep is a mapping with 'grid' and optionally 'base' or 'preset'"})
    unknown = set(spec) - {"base", "preset", "grid"}
    if unknown:
        raise ScenarioError({k: "unknown key in a sweep (use base, preset, grid)" for k in sorted(unknown)})
    base, overrides = _base(spec)
    grid = spec.get("grid")
    if not isinstance(grid, dict) or not grid:
        raise ScenarioError({"grid": "give at least one field with a list of values, e.g. {lr: [1e-4, 1e-3]}"})
    axes: dict[str, list] = {}
    for name, values in grid.items():
        if name not in Scenario.model_fields or name == "version":
            raise ScenarioError({name: "unknown field"})
        values = values if isinstance(values, list) else [values]
        if not values:
            raise ScenarioError({name: "needs at least one value"})
        axes[name] = [coerce(name, v) if isinstance(v, str) else v for v in values]
    count = 1
    for values in axes.values():
        count *= len(values)
    if count > MAX_SWEEP_RUNS:
        sizes = " x ".join(f"{len(v)} {k}" for k, v in axes.items())
        raise ScenarioError({"grid": f"{sizes} = {count} runs, over the limit of {MAX_SWEEP_RUNS}"})
    _check_replaced(base, overrides, axes)
    scenarios = []
    for combo in itertools.product(*axes.values()):
        point = dict(zip(axes, combo))
        try:
            scenarios.append(parse({**base, **point}))
        except ScenarioError as e:
            where = ", ".join(f"{k}={v}" for k, v in point.items())
            raise ScenarioError({_named(k, overrides, point): f"{v} (at {where})"
                                 for k, v in e.errors.items()}) from None
    return scenarios


def named_in(spec: dict, field: str) -> str:
    """How an error about a field of the sweep `spec` names it: `base: FIELD` when its base set the field and
    its grid does not (checks made after expansion, such as whether a dataset task is stored, use this)."""
    base, grid = spec.get("base"), spec.get("grid")
    return _named(field, base if isinstance(base, dict) else {}, grid if isinstance(grid, dict) else {})


def _named(field: str, overrides: dict, point: dict) -> str:
    """Where the bad value came from: `base: FIELD` when the base set it and this grid point did not."""
    return f"base: {field}" if field in overrides and field not in point else field


def _check_replaced(base: dict, overrides: dict, axes: dict) -> None:
    """A base field the grid also sets is never used, but a bad one is still refused: checked with the rest of
    the base, as it was written (every other base field is checked at each grid point)."""
    replaced = overrides.keys() & axes.keys()
    if not replaced:
        return
    try:
        parse(base)
    except ScenarioError as e:
        bad = {f"base: {k}": v for k, v in e.errors.items() if k in replaced}
        if bad:
            raise ScenarioError(bad) from None


def _base(spec: dict) -> tuple[dict, dict]:
    """The scenario fields every grid point starts from, and those of them `base` set."""
    base = Scenario().model_dump()
    if "preset" in spec:
        if not isinstance(spec["preset"], str) or spec["preset"] not in PRESETS:
            raise ScenarioError({"preset": f"unknown preset; choose one of: {', '.join(PRESETS)}"})
        base.update(PRESETS[spec["preset"]].overrides)
    overrides = spec.get("base") or {}
    if not isinstance(overrides, dict):
        raise ScenarioError({"base": "must be a mapping of scenario fields"})
    unknown = sorted(k for k in overrides if k not in Scenario.model_fields)
    if unknown:
        raise ScenarioError({f"base: {k}": "unknown field" for k in unknown})
    return {**base, **overrides}, overrides

