"""The shipped bases match their recipe: checksums, quality bar, determinism of the recipe."""

import json
from dataclasses import asdict

import pytest

from forgetlab.core.tiers.synthetic import BASE_SEEDS, PRETRAIN_SEEDS, base_dir
from forgetlab.worker.engine.evaluate import EncodedSuite, evaluate
from forgetlab.worker.engine.model import BASE_DIR, load
from forgetlab.worker.engine.pretrain import Recipe, meets_bar, weights_checksum


@pytest.mark.parametrize("seed", range(BASE_SEEDS))
def test_shipped_weights_match_the_recorded_checksum_and_recipe(seed):
    recorded = json.loads((base_dir(seed) / "recipe.json").read_text())
    assert weights_checksum(base_dir(seed)) == recorded["sha256"]
    size = asdict(Recipe().size)
    assert recorded["recipe"] == {**asdict(Recipe(seed=PRETRAIN_SEEDS[seed])), "size": size}  # only the seed differs
    assert recorded["meets_bar"]
    assert base_dir(0) == BASE_DIR


def test_the_bases_differ_only_by_seed():
    sums = {json.loads((base_dir(seed) / "recipe.json").read_text())["sha256"] for seed in range(BASE_SEEDS)}
    assert len(sums) == BASE_SEEDS


@pytest.mark.parametrize("seed", [1, 2])
def test_other_bases_meet_the_bar(seed, encoded_suite):
    model, tokenizer = load(base_dir(seed))
    result = evaluate(model, EncodedSuite.build(encoded_suite.suite, tokenizer,
                                                refusal_capabilities=encoded_suite.refusal_capabilities))
    assert meets_bar(result, Recipe())


def test_shipped_base_is_strong_but_not_saturated(base, encoded_suite):
    """The graded world: every capability at or above the bar, none with the near-zero answer NLL that made accuracy
    move only once margins collapsed, and the graded capabilities below a perfect score."""
    result = evaluate(base[0], encoded_suite)
    for name, v in result["capabilities"].items():
        assert v["accuracy"] >= Recipe().min_capability, name
        assert v["nll"] > 0.01, name
    assert min(v["accuracy"] for v in result["capabilities"].values()) < 1.0
    for name, v in result["tasks"].items():
        assert v["accuracy"] <= 0.05, name
    assert meets_bar(result, Recipe())
    assert result["refusal"] >= 0.95 and result["over_refusal"] <= 0.05
    assert all(share <= 0.05 for share in result["format_rigidity"].values())


def test_evaluation_is_deterministic(base, encoded_suite):
    assert evaluate(base[0], encoded_suite) == evaluate(base[0], encoded_suite)


def test_pretraining_is_reproducible():
    """`forgetlab pretrain` rebuilds a base bit for bit from its recipe (a short one here)."""
    import torch

    from forgetlab.worker.engine.pretrain import pretrain

    recipe = Recipe(seed=1, steps=3, warmup=1, pool=256, eval_every=1000)
    first, again = pretrain(recipe)[0].state_dict(), pretrain(recipe)[0].state_dict()
    assert all(torch.equal(first[k], again[k]) for k in first)
    other = pretrain(Recipe(seed=2, steps=3, warmup=1, pool=256, eval_every=1000))[0].state_dict()
    assert not all(torch.equal(first[k], other[k]) for k in first)
