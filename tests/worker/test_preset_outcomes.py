"""Every synthetic preset keeps its card's promise, and the measured ranges its card quotes are what a fresh
run gives.

One unit (base 0, seed 0) per preset, trained here on one torch thread as `forgetlab presets --measure` trains
them: the fresh outcome must meet the preset's declaration (core/preset_outcomes.py) and equal the run stored
for that unit in core/presets_measured.json, so a card can never quote numbers the engine no longer gives.
"""

from __future__ import annotations

import functools

import pytest
from forgetlab.core.preset_outcomes import MEASURE_UNITS, load_measured
from forgetlab.core.presets import PRESETS, presets_for
from forgetlab.core.scenario import ENGINE_VERSION
from forgetlab.worker.preset_measure import run_preset

UNIT = (0, 0)
SYNTHETIC = [p.name for p in presets_for("synthetic")]
STORED = load_measured()
# Stored runs were measured on this CPU build's one-thread kernels; accuracies are k/64 and move only if a probe
# sits on a margin within float noise, so one probe (1/64) is the most a fresh run may differ by.
ONE_PROBE = 1 / 64 + 1e-9


@functools.cache
def fresh(name: str) -> dict:
    return run_preset(name, *UNIT)


def stored_run(name: str) -> dict | None:
    return next((r for r in STORED["presets"].get(name, []) if (r["base_seed"], r["seed"]) == UNIT), None)


def test_the_stored_runs_are_this_engines_and_cover_every_unit():
    assert STORED.get("engine_version") == ENGINE_VERSION, "re-run `forgetlab presets --measure`"
    for name in SYNTHETIC:
        units = {(r["base_seed"], r["seed"]) for r in STORED["presets"].get(name, [])}
        assert units == set(MEASURE_UNITS), f"{name}: stored units {sorted(units)}"


@pytest.mark.parametrize("name", SYNTHETIC)
def test_a_fresh_run_keeps_the_declaration_and_matches_the_stored_one(name):
    preset, run = PRESETS[name], fresh(name)
    other = fresh(preset.expect.forgets_less_than) if preset.expect.forgets_less_than else None
    assert preset.expect.failures(run, other) == []
    stored = stored_run(name)
    assert stored is not None
    for metric in ("task", "mean_drop", "worst_drop", "format_rigidity", "refusal_fall"):
        if stored.get(metric) is not None:
            assert run[metric] == pytest.approx(stored[metric], abs=ONE_PROBE), metric


@pytest.mark.parametrize("name", SYNTHETIC)
def test_every_stored_run_keeps_the_declaration(name):
    """The card's ranges span all six units; the promise holds on each of them, not only on the one re-run."""
    preset = PRESETS[name]
    runs = {(r["base_seed"], r["seed"]): r for r in STORED["presets"][name]}
    others = {(r["base_seed"], r["seed"]): r for r in STORED["presets"].get(preset.expect.forgets_less_than or "", [])}
    for unit, run in runs.items():
        assert preset.expect.failures(run, others.get(unit)) == [], unit
