"""answer_loss (the vocabulary projection at labelled positions only) equals the model's own causal LM loss:
the value within 1e-6 relative and every gradient within 1e-5 of its norm (float rounding: the sums run over
fewer terms, in another order), on the shipped base and on it wrapped in LoRA adapters as a run wraps it."""

import pytest
import torch

from forgetlab.core.presets import preset_scenario
from forgetlab.core.scenario import with_overrides
from forgetlab.core.tiers.synthetic import world
from forgetlab.worker.engine.encoding import encode, trim
from forgetlab.worker.engine.lora import apply_lora
from forgetlab.worker.engine.loss import answer_loss, answer_losses, logits_at
from forgetlab.worker.engine.model import load


def gradients(model, loss: torch.Tensor) -> list[torch.Tensor]:
    params = [p for p in model.parameters() if p.requires_grad]
    grads = torch.autograd.grad(loss, params)
    return list(grads)


@pytest.mark.parametrize("lora", [False, True])
def test_answer_loss_is_the_models_own(lora):
    model, tokenizer = load()
    if lora:
        model = apply_lora(model, with_overrides(preset_scenario("break-it"), {"method": "lora"}))
        torch.manual_seed(0)
        for name, p in model.named_parameters():  # peft starts B at zero; give every adapter a gradient
            if "lora_B" in name:
                p.data.normal_(0, 0.02)
    model.train()
    batch = trim(encode(tokenizer, world.examples("support-narrow", 16, seed=0), length=32))
    assert (batch.labels == -100).any()  # prompts are in the batch: positions the new path skips

    own = model(input_ids=batch.input_ids, labels=batch.labels).loss
    ours = answer_loss(model, batch.input_ids, batch.labels)
    assert ours.item() == pytest.approx(own.item(), rel=1e-6)
    for want, got in zip(gradients(model, own), gradients(model, ours)):
        assert (got - want).norm() <= 1e-5 * want.norm() + 1e-12


def test_a_model_without_a_plain_head_is_projected_by_its_own_forward(monkeypatch):
    model, tokenizer = load()
    batch = trim(encode(tokenizer, world.examples("support-narrow", 4, seed=0), length=32))
    positions = torch.nn.functional.pad(batch.labels[:, 1:] != -100, (0, 1))
    with torch.no_grad():
        short = logits_at(model, batch.input_ids, positions)
        monkeypatch.setattr(model.config, "model_type", "other")
        called = []
        monkeypatch.setattr(model, "get_decoder", lambda: called.append(1))  # the own forward never asks for it
        own = logits_at(model, batch.input_ids, positions)
    assert not called and own.shape == short.shape == (int(positions.sum()), model.config.vocab_size)
    assert torch.allclose(own, short, rtol=1e-5, atol=1e-5)


def test_each_stretch_of_rows_has_its_own_loss():
    """A group's members (consecutive rows) each get the loss of their rows alone, from one forward."""
    model, tokenizer = load()
    batch = trim(encode(tokenizer, world.examples("support-narrow", 12, seed=1), length=32))
    with torch.no_grad():
        losses = answer_losses(model, batch.input_ids, batch.labels, [3, 5, 4])
        alone = [answer_loss(model, batch.input_ids[a:b], batch.labels[a:b]) for a, b in [(0, 3), (3, 8), (8, 12)]]
    assert [x.item() for x in losses] == pytest.approx([x.item() for x in alone], rel=1e-6)
    assert len({round(x.item(), 6) for x in losses}) == 3


def with_opening(batch, length: int = 10):
    """The batch with the same `length` tokens (unlabelled) opening every row, as a chat template's system turn
    opens every SmolLM2 row."""
    opening = batch.input_ids[:1, :1].repeat(len(batch), length)
    opening[:, 1:] = torch.arange(3, 3 + length - 1)
    return (torch.cat([opening, batch.input_ids], 1),
            torch.cat([torch.full_like(opening, -100), batch.labels], 1))


@pytest.mark.parametrize("lora", [False, True])
def test_a_shared_opening_is_read_once_with_the_same_loss_and_gradients(lora, monkeypatch):
    from forgetlab.worker.engine import loss as loss_module

    model, tokenizer = load()
    if lora:
        model = apply_lora(model, with_overrides(preset_scenario("break-it"), {"method": "lora"}))
        torch.manual_seed(0)
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.data.normal_(0, 0.02)
    model.train()
    input_ids, labels = with_opening(trim(encode(tokenizer, world.examples("support-narrow", 8, seed=0), length=32)))
    read = []
    real = loss_module.prefix_cache

    def reading(*args):
        shared, cache = real(*args)
        read.append(shared)
        return shared, cache

    monkeypatch.setattr(loss_module, "prefix_cache", reading)

    own = model(input_ids=input_ids, labels=labels).loss
    ours = answer_loss(model, input_ids, labels)
    assert len(read) == 1 and read[0] >= 10  # read once: the opening and whatever the rows share after it
    assert ours.item() == pytest.approx(own.item(), rel=1e-6)
    for want, got in zip(gradients(model, own), gradients(model, ours)):
        assert (got - want).norm() <= 1e-5 * want.norm() + 1e-12

    read.clear()
    with torch.no_grad():
        answer_losses(model, input_ids, labels, [4, 4])
        answer_losses(model, input_ids, labels, [8])  # a group of one member left
    assert read == []  # a group's rows go through their own members' adapters: each row is read whole


def test_with_dropout_on_every_row_is_read_whole(monkeypatch):
    """A LoRA dropout would draw one mask for a shared opening: then the rows are read whole, as before."""
    from forgetlab.worker.engine import loss as loss_module

    model, tokenizer = load()
    model = apply_lora(model, with_overrides(preset_scenario("break-it"), {"method": "lora", "lora_dropout": 0.1}))
    input_ids, labels = with_opening(trim(encode(tokenizer, world.examples("support-narrow", 8, seed=0), length=32)))
    read = []
    real = loss_module.prefix_cache
    monkeypatch.setattr(loss_module, "prefix_cache", lambda *a: read.append(1) or real(*a))
    model.train()
    answer_loss(model, input_ids, labels)
    assert read == []
    model.eval()  # dropout is off in evaluation: the validation loss reads the opening once
    with torch.no_grad():
        answer_loss(model, input_ids, labels)
    assert read == [1]
