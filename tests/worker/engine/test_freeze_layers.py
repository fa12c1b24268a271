"""freeze_layers freezes exactly the token embeddings and the lowest N blocks: no gradient reaches them, the
optimizer never holds them and training leaves them bit-identical, under full fine-tuning and under LoRA
(no adapters on them), on the synthetic base and on a real (2-block) SmolLM2 built from the shipped GGUF."""

import json

import pytest
import torch

from forgetlab.core.scenario import ScenarioError, parse
from forgetlab.core.tiers import get_tier
from forgetlab.core.tiers.synthetic import BASE_SEEDS, base_dir
from forgetlab.worker.engine.mitigations.freeze_layers import blocks
from forgetlab.worker.engine.train import Trainee, fine_tune
from forgetlab.worker.engine.weights import merged_state

TINY = {"task_examples": 64, "epochs": 1, "batch_size": 16, "eval_every": 100, "lr": 3e-3}


def frozen_names(model, count: int) -> set[str]:
    """The base parameter names freeze_layers(count) must freeze: the embeddings and blocks 0..count-1."""
    embeddings = {n for n, p in model.named_parameters() if p is model.get_input_embeddings().weight}
    return embeddings | {n for n, _ in model.named_parameters() if any(f"layers.{i}." in n for i in range(count))}


def one_step(run: Trainee) -> None:
    """One training step through the loop's own pieces, leaving the gradients in place to be read."""
    batch = next(run.batches())
    run.with_penalties(run.model(input_ids=batch.input_ids, labels=batch.labels).loss).backward()


def test_full_fine_tuning_freezes_the_embeddings_and_the_lowest_blocks_only():
    run = Trainee(parse({**TINY, "freeze_layers": 1}))
    frozen = frozen_names(run.base_model, 1)
    assert frozen == {"model.embed_tokens.weight"} | {n for n, _ in run.base_model.named_parameters()
                                                      if n.startswith("model.layers.0.")}
    params = dict(run.model.named_parameters())
    held = {id(p) for group in run.optimizer.param_groups for p in group["params"]}
    assert {n for n, p in params.items() if id(p) in held} == set(params) - frozen  # the optimizer never gets them
    one_step(run)
    assert all(params[n].grad is None for n in frozen)
    assert all(params[n].grad is not None for n in set(params) - frozen)
    summary, model, base = fine_tune(parse({**TINY, "freeze_layers": 1}))
    after, before = dict(model.named_parameters()), dict(base.named_parameters())
    assert all(torch.equal(after[n], before[n]) for n in frozen)
    assert all(not torch.equal(after[n], before[n]) for n in set(after) - frozen)  # everything else trained
    assert summary.steps == 4


def test_under_lora_frozen_blocks_get_no_adapters_and_stay_the_base():
    events = []
    _, model, base = fine_tune(parse({**TINY, "method": "lora", "freeze_layers": 2}), events.append)
    adapted = {n.split(".lora_")[0] for n, p in model.named_parameters() if p.requires_grad}
    assert adapted and all(".layers.2." in n for n in adapted)
    assert len(adapted) == 7  # every target projection of the one block left
    merged, before = merged_state(model), base.state_dict()
    assert all(torch.equal(merged[n], before[n]) for n in frozen_names(base, 2))
    assert not torch.equal(merged["model.layers.2.mlp.up_proj.weight"], before["model.layers.2.mlp.up_proj.weight"])
    started = events[0]
    assert started.trainable == sum(p.numel() for p in model.parameters() if p.requires_grad)


def test_a_resumed_frozen_run_ends_as_an_uninterrupted_one(tmp_path):
    """A checkpoint holds the trainable weights and the optimizer's state: a retried run freezes the same
    weights again before loading them, so it ends exactly as if never stopped, its frozen blocks the base's."""
    from forgetlab.worker.engine.checkpoint import Checkpoints
    from forgetlab.worker.engine.train import Cancelled

    scenario = parse({**TINY, "epochs": 3, "freeze_layers": 2})  # 12 steps
    whole, model, base = fine_tune(scenario)
    calls = []
    with pytest.raises(Cancelled):
        fine_tune(scenario, should_cancel=lambda: calls.append(1) or len(calls) > 7,
                  checkpoints=Checkpoints(tmp_path / "run.pt", every=3))
    resumed, again, _ = fine_tune(scenario, checkpoints=Checkpoints(tmp_path / "run.pt", every=3))
    assert resumed.final == whole.final and resumed.final_nll == whole.final_nll
    before, after = dict(base.named_parameters()), dict(again.named_parameters())
    assert all(torch.equal(after[n], before[n]) for n in frozen_names(base, 2))
    assert all(torch.equal(after[n], p) for n, p in model.named_parameters())


def test_off_changes_nothing_it_trains():
    run = Trainee(parse(TINY))
    assert all(p.requires_grad for p in run.model.parameters())


def test_the_tier_reads_its_bases_block_count():
    tier = get_tier("synthetic")
    for seed in range(BASE_SEEDS):
        config = json.loads((base_dir(seed) / "config.json").read_text())
        assert config["num_hidden_layers"] == tier.for_base(seed).blocks() == 3


@pytest.mark.parametrize("body, words", [
    ({"freeze_layers": 3}, "synthetic tier's base has 3 transformer blocks: freeze at most 2"),
    ({"tier": "smollm2", "task": "support", "freeze_layers": 30}, "has 30 transformer blocks: freeze at most 29"),
    ({"freeze_layers": 65}, "allowed: 0 to 64"),
    ({"freeze_layers": -1}, "allowed: 0 to 64"),
])
def test_too_many_blocks_is_an_error_naming_the_field(body, words):
    with pytest.raises(ScenarioError) as refused:
        parse(body)
    assert list(refused.value.errors) == ["freeze_layers"] and words in refused.value.errors["freeze_layers"]
    assert parse({**body, "freeze_layers": 1}).freeze_layers == 1


# --- SmolLM2: a real 2-block copy built from the shipped GGUF (tests/conftest.py's `truncated`) ------------------
@pytest.fixture(scope="module")
def small_tier(truncated):
    tier = get_tier("smollm2").with_model(truncated)
    tier.final_probes, tier.run_probes, tier.generation_tokens = 4, 2, 12  # a few probes, short answers
    return tier


SMOL = {"tier": "smollm2", "task": "support", "epochs": 1, "task_examples": 50, "batch_size": 4, "lr": 1e-4}


def test_smollm2_full_fine_tuning_freezes_the_embeddings_and_block_0(small_tier):
    run = Trainee(parse({**SMOL, "method": "full", "freeze_layers": 1}), tier=small_tier)
    params = dict(run.model.named_parameters())
    frozen = frozen_names(run.model, 1)
    assert "model.embed_tokens.weight" in frozen and len(blocks(run.model)) == 2
    held = {id(p) for group in run.optimizer.param_groups for p in group["params"]}
    assert {n for n, p in params.items() if id(p) in held} == set(params) - frozen
    before = {n: p.detach().clone() for n, p in params.items()}
    one_step(run)
    assert all(params[n].grad is None for n in frozen)
    run.update(0.0)  # clip and step, as the loop does
    assert all(torch.equal(params[n], before[n]) for n in frozen)
    assert not torch.equal(params["model.layers.1.mlp.up_proj.weight"], before["model.layers.1.mlp.up_proj.weight"])


def test_smollm2_lora_puts_adapters_on_the_unfrozen_block_only(small_tier):
    run = Trainee(parse({**SMOL, "method": "lora", "freeze_layers": 1}), tier=small_tier)
    adapted = {n.split(".lora_")[0] for n, p in run.model.named_parameters() if p.requires_grad}
    assert adapted and all(".layers.1." in n for n in adapted)


def test_a_swapped_in_base_too_small_for_the_scenario_is_refused_naming_the_field(small_tier):
    # The tier's own base has 30 blocks, so the scenario is valid; the 2-block base it is run on is not.
    with pytest.raises(ScenarioError) as refused:
        Trainee(parse({**SMOL, "freeze_layers": 2}), tier=small_tier)
    assert "this base has 2 transformer blocks: freeze at most 1" in refused.value.errors["freeze_layers"]


def test_a_frozen_lora_run_trains_in_a_group_as_it_trains_alone():
    """A member without adapters on its frozen blocks groups with one adapted everywhere (grouped training
    adds each member's update only where it has an adapter); each reports what it reports alone."""
    from forgetlab.worker.engine.grouped import Member, train_group
    from forgetlab.worker.engine.train import train

    from .test_grouped import differences, untimed

    scenarios = [parse({**TINY, "method": "lora", "freeze_layers": 2, "eval_every": 2}),
                 parse({**TINY, "method": "lora", "seed": 1, "eval_every": 2})]
    alone = [[] for _ in scenarios]
    for scenario, events in zip(scenarios, alone):
        train(scenario, lambda e, events=events: events.append(e.model_dump(mode="json")))
    grouped = [[] for _ in scenarios]
    train_group([Member(s, lambda e, events=events: events.append(e.model_dump(mode="json")))
                 for s, events in zip(scenarios, grouped)])
    for index, (a, g) in enumerate(zip(alone, grouped)):
        found = differences(untimed(a), untimed(g))
        assert not found, f"member {index}: {found[:5]}"


def test_smollm2_knows_its_block_count_before_and_after_conversion(converted, truncated, tmp_path):
    """Before the GGUF is converted SmolLM2's count is the tier's own (30, its converted config's); a base
    swapped in (a truncated copy here, an operator's local model) is read from its own config."""
    from forgetlab.core.tiers.smollm2 import SmolLM2Tier

    config = json.loads((converted / "config.json").read_text())
    assert config["num_hidden_layers"] == SmolLM2Tier.base_blocks == get_tier("smollm2").with_model(converted).blocks()
    assert get_tier("smollm2").with_model(truncated).blocks() == 2
    assert get_tier("smollm2").with_model(tmp_path / "nothing").blocks() == 30
