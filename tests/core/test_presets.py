"""scenario_from: the one way a scenario is built from what a person asks for (builder, assignment forms, CLI)."""

import pytest

from forgetlab.core.presets import PRESETS, scenario_from
from forgetlab.core.scenario import Scenario, ScenarioError
from forgetlab.core.tiers import all_tiers


def test_every_tier_names_one_of_its_tasks_as_its_default():
    for tier in all_tiers().values():
        assert tier.default_task in tier.tasks, tier.name


def test_nothing_asked_is_the_default_scenario():
    assert scenario_from(None, None, {}) == Scenario()


def test_a_preset_then_the_overrides():
    scenario = scenario_from("break-it", None, {"lr": 5e-4})
    assert scenario.lr == 5e-4 and scenario.method == PRESETS["break-it"].overrides["method"] == "full"
    assert scenario_from("break-it", None, {}) == PRESETS["break-it"].scenario()


def test_a_tier_without_a_task_starts_from_the_tiers_default_task():
    assert scenario_from(None, "smollm2", {}).task == all_tiers()["smollm2"].default_task == "support"
    assert scenario_from(None, None, {"tier": "smollm2"}).task == "support"
    assert scenario_from(None, "smollm2", {"task": "sql"}).task == "sql"  # a task given is kept


def test_the_tier_given_wins_over_the_overrides():
    assert scenario_from(None, "smollm2", {"tier": "synthetic"}).tier == "smollm2"


def test_every_bad_field_is_named_at_once():
    with pytest.raises(ScenarioError) as err:
        scenario_from(None, None, {"lr": 5, "epochs": 99, "colour": "red"})
    assert set(err.value.errors) == {"lr", "epochs", "colour"}
    assert "1e-06 to 0.1" in err.value.errors["lr"] and err.value.errors["colour"] == "unknown field"


def test_an_unknown_preset_or_tier_is_named():
    with pytest.raises(ScenarioError) as err:
        scenario_from("nope", None, {})
    assert err.value.errors["preset"].startswith("unknown preset 'nope'; choose one of: break-it")
    with pytest.raises(ScenarioError) as err:
        scenario_from(None, "gpt-9", {"epochs": 99})
    assert "unknown tier" in err.value.errors["tier"] and "epochs" in err.value.errors


def test_the_freeze_preset_is_break_it_with_half_the_blocks_frozen():
    from forgetlab.core.presets import BREAK_IT
    from forgetlab.core.tiers import get_tier

    freeze = PRESETS["freeze"]
    assert freeze.overrides == {**BREAK_IT, "freeze_layers": max(1, get_tier("synthetic").blocks() // 2)}
    assert freeze.scenario().freeze_layers == 1 and freeze.expect.forgets_less_than == "break-it"
    assert "forgets less than Break it" in freeze.explanation
