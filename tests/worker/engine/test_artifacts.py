"""Saving a run's model (worker/engine/artifacts.py): adapter only or full weights, atomically, never over
something that is not an earlier artifact."""

import copy
import json

import pytest

from forgetlab.core.scenario import Scenario
from forgetlab.core.tiers import get_tier
from forgetlab.worker.engine.artifacts import MANIFEST, ArtifactError, check_target, read_manifest, save_artifact
from forgetlab.worker.engine.gate import load_candidate
from forgetlab.worker.engine.lora import apply_lora
from forgetlab.worker.engine.model import load


def test_adapter_then_full_at_one_path_leaves_only_the_full_model(base, tmp_path):
    model, tokenizer = base
    tier, scenario = get_tier("synthetic"), Scenario(method="lora")
    out = tmp_path / "artifact"
    adapter = save_artifact(apply_lora(copy.deepcopy(model), scenario), tokenizer, out, tier=tier, scenario=scenario)
    assert adapter["kind"] == "adapter" and (out / "adapter_config.json").is_file()
    assert not (out / "model.safetensors").exists() and not (out / "tokenizer.json").exists()
    assert adapter["base"]["weights_sha256"] == tier.model().checksum  # the synthetic base: both are its sha256
    assert adapter["scenario_hash"] == scenario.canonical_hash() and adapter["scenario"]["method"] == "lora"

    full = save_artifact(model, tokenizer, out, tier=tier)  # replaces the adapter whole
    assert full["kind"] == "full" and full["scenario"] is None
    assert not (out / "adapter_config.json").exists()  # a stale one would make this read as an adapter
    assert read_manifest(out) == json.loads((out / MANIFEST).read_text()) == full
    reloaded, _ = load(out)
    assert all((a == b).all() for a, b in zip(reloaded.state_dict().values(), model.state_dict().values()))
    assert oct((out / "model.safetensors").stat().st_mode)[-3:] == "644"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp dirs left behind


def test_a_fresh_adapter_merges_back_into_the_base_unchanged(base, tmp_path):
    model, tokenizer = base
    save_artifact(apply_lora(copy.deepcopy(model), Scenario(method="lora")), tokenizer, tmp_path / "a",
                  tier=get_tier("synthetic"))
    base_path = get_tier("synthetic").model().path
    merged, merged_tokenizer, kind = load_candidate(tmp_path / "a", model, tokenizer, base_path)
    assert kind == "adapter" and merged_tokenizer is tokenizer
    # LoRA's B starts at zero: merged, an untrained adapter is the base itself; the base is left untouched.
    for (name, a), b in zip(merged.state_dict().items(), model.state_dict().values()):
        assert (a == b).all(), name
    assert not hasattr(model, "peft_config")


def test_targets_that_would_lose_something_are_refused(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ArtifactError, match="holds no saved run"):
        check_target(tmp_path / "mine")
    with pytest.raises(ArtifactError, match="not a directory"):
        check_target(tmp_path / "file")
    with pytest.raises(ArtifactError, match="does not exist"):
        check_target(tmp_path / "missing" / "out")
    (tmp_path / "empty").mkdir()
    assert check_target(tmp_path / "empty") == tmp_path / "empty"
