"""Tiers: the catalogue, scenario validation against the chosen tier, and the model in the cache key."""

import json
import subprocess
import sys

import pytest

from forgetlab.core.errors import NotFound
from forgetlab.core.scenario import ScenarioError, parse
from forgetlab.core.tiers import all_tiers, capabilities_of, get_tier, tier_of


def test_synthetic_is_the_default_and_describes_itself():
    tier = get_tier("synthetic")
    assert parse({}).tier == "synthetic"
    described = tier.describe()
    assert [c["name"] for c in described["capabilities"]] == ["instruction", "knowledge", "reasoning", "format",
                                                               "safety"]
    assert {t["name"] for t in described["tasks"]} == set(tier.tasks)
    assert len(described["model"]["checksum"]) == 64


def test_unknown_tier_and_foreign_task_name_the_field():
    with pytest.raises(ScenarioError) as err:
        parse({"tier": "gpt-9"})
    assert "tier" in err.value.errors and "synthetic" in err.value.errors["tier"]
    with pytest.raises(ScenarioError) as err:
        parse({"task": "poetry"})
    assert "not a task of tier synthetic" in err.value.errors["task"]
    with pytest.raises(NotFound):
        get_tier("gpt-9")


def test_cache_key_covers_the_base_model(tmp_path):
    scenario = parse({"seed": 1})
    tier = get_tier("synthetic")
    other = tier.with_model(tmp_path)  # no weights there: another checksum
    assert other.model().checksum != tier.model().checksum
    assert tier.model().path.is_dir() and other is not tier and tier.model_override is None
    # The hash reads the tier's model ref: swap it and the key moves.
    before = scenario.canonical_hash()
    original = tier.model_override
    tier.model_override = other.model()
    try:
        assert scenario.canonical_hash() != before
    finally:
        tier.model_override = original
    assert scenario.canonical_hash() == before


def test_old_runs_without_a_tier_read_as_synthetic():
    assert tier_of({"task": "shift"}).name == "synthetic"
    assert [c.name for c in capabilities_of([{}, {"tier": "synthetic"}])] == list(get_tier("synthetic").capabilities)


def test_cli_lists_tiers_as_json():
    out = subprocess.run([sys.executable, "-m", "forgetlab.core.cli", "tiers", "--json"], capture_output=True, text=True,
                         check=True)
    assert {t["name"] for t in json.loads(out.stdout)} == set(all_tiers())


def test_the_operator_allow_list_adds_local_model_tiers(monkeypatch, tmp_path):
    from forgetlab.core.settings import get_settings

    model = tmp_path / "my-model"
    model.mkdir()
    (model / "model.safetensors").write_bytes(b"weights")
    monkeypatch.setenv("FORGETLAB_ALLOWED_MODELS", f"{model}, ")
    get_settings.cache_clear()
    all_tiers.cache_clear()
    try:
        tier = get_tier("local-my-model")
        assert tier.model().path == model and tier.chat and set(tier.tasks) == {"support", "sql"}
        assert parse({"tier": "local-my-model", "task": "sql"}).tier == "local-my-model"
    finally:
        monkeypatch.delenv("FORGETLAB_ALLOWED_MODELS")
        get_settings.cache_clear()
        all_tiers.cache_clear()
    assert "local-my-model" not in all_tiers()  # no path, no tier: the web cannot name one
