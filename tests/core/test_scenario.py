"""The scenario schema: defaults, ranges, one-line explanations, clear errors, stable hashing."""

import pytest

from forgetlab.core.presets import PRESETS, preset_scenario
from forgetlab.core.scenario import (
    ENGINE_VERSION,
    MAX_STEPS,
    Scenario,
    ScenarioError,
    coerce,
    field_help,
    parse,
    scenario_defaults,
)


def test_every_field_has_a_default_and_an_explanation():
    for name in Scenario.model_fields:
        help_ = field_help(name)
        assert help_["description"] and help_["description"].endswith("."), name
        assert "default" in help_


@pytest.mark.parametrize("bad, field, words", [
    ({"lr": 1.0}, "lr", "1e-06 to 0.1"),
    ({"lr": 0}, "lr", "1e-06 to 0.1"),
    ({"epochs": 0}, "epochs", "1 to 20"),
    ({"mix_ratio": 0.95}, "mix_ratio", "0 to 0.9"),
    ({"task": "poetry"}, "task", "support-narrow"),
    ({"method": "qlora"}, "method", "full, lora"),
    ({"batch_size": "many"}, "batch_size", "4 to 128"),
    ({"lora_targets": ["embed_tokens"]}, "lora_targets", "q_proj"),
    ({"lora_targets": []}, "lora_targets", "at least 1"),
    ({"warp_drive": 1}, "warp_drive", "unknown field"),
    ({"mix_ratio": 0.5, "replay_ratio": 0.5}, "scenario", "at most 0.9"),
    ({"epochs": 20, "task_examples": 5000, "batch_size": 4}, "scenario", f"limit of {MAX_STEPS}"),
])
def test_invalid_configs_name_the_field_and_the_range(bad, field, words):
    with pytest.raises(ScenarioError) as err:
        parse(bad)
    assert field in err.value.errors
    assert words in err.value.errors[field]


def test_canonical_hash_ignores_order_and_formatting():
    a = parse({"lr": 0.001, "epochs": 2})
    b = parse({"epochs": "2", "lr": "1e-3"})
    assert a.canonical_hash() == b.canonical_hash()
    assert a.canonical_hash() != parse({"lr": 0.001, "epochs": 2, "seed": 1}).canonical_hash()


# Every field's default when ENGINE_VERSION was last bumped. canonical_hash leaves defaults out, so a changed
# default would change results under unchanged hashes: bump ENGINE_VERSION and rewrite this, never one alone.
DEFAULTS_AT_ENGINE = (8, {
    "base_seed": 0, "batch_size": 32, "early_stopping": False, "epochs": 3, "eval_every": 40, "ewc_lambda": 0.0,
    "ewc_samples": 256, "freeze_layers": 0, "kl_weight": 0.0, "l2sp_weight": 0.0, "lora_alpha": 4,
    "lora_dropout": 0.0, "lora_rank": 2,
    "lora_targets": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], "lr": 0.001,
    "method": "full", "min_delta": 0.0, "mix_ratio": 0.0, "patience": 3, "rehearsal_prompts": 64,
    "rehearsal_ratio": 0.0, "replay_buffer": 200, "replay_ratio": 0.0, "safety_mix": 0.0, "schedule": "constant",
    "seed": 0, "suites": [], "task": "support-narrow", "task_examples": 1000, "tier": "synthetic",
    "validate_every": 5, "version": 1, "warmup_steps": 0, "wise_ft": False})


def test_no_default_changes_without_an_engine_bump():
    version, pinned = DEFAULTS_AT_ENGINE
    assert ENGINE_VERSION == version, "ENGINE_VERSION moved: re-pin DEFAULTS_AT_ENGINE to today's defaults"
    defaults = scenario_defaults()
    assert {k: defaults[k] for k in pinned} == pinned  # fields added since are free: they leave old hashes alone


def test_a_field_at_its_default_leaves_the_hash_alone():
    """A scenario that spells out a default hashes like one that leaves it out: a field added later, off by
    default, keeps every earlier run's cached result."""
    assert parse({"lr": 0.001, "ewc_lambda": 0.0}).canonical_hash() == parse({"lr": 0.001}).canonical_hash()
    assert parse({"ewc_lambda": 1.0}).canonical_hash() != parse({}).canonical_hash()


def test_json_round_trip_and_version():
    s = preset_scenario("fix-it")
    assert parse(s.model_dump(mode="json")) == s
    assert s.version == 1


def test_coerce_reads_cli_strings():
    assert coerce("early_stopping", "yes") is True
    assert coerce("lora_targets", "q_proj,v_proj") == ["q_proj", "v_proj"]
    with pytest.raises(ScenarioError):
        coerce("nope", "1")


def test_every_preset_is_valid_and_explained():
    assert {"break-it", "fix-it", "safety-regression"} <= set(PRESETS)
    for preset in PRESETS.values():
        assert preset.scenario().total_steps <= MAX_STEPS
        assert len(preset.explanation) > 60


def test_a_share_too_small_to_take_a_row_is_refused_by_name():
    """1% of a batch of 32 rounds to no example: training would silently run without the mix."""
    with pytest.raises(ScenarioError) as err:
        parse({"mix_ratio": 0.01})
    assert "mix_ratio 0.01 of a batch of 32 is no example" in err.value.errors["scenario"]
    assert parse({"mix_ratio": 0.01, "batch_size": 100}).task_slots == 99
