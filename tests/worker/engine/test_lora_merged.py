"""A LoRA run's evaluation points compute through merged weights (worker/engine/lora.py, merged()): the same
outputs as the adapter path within float rounding, and afterwards the very frozen tensors, so training goes on
from bit-identical weights."""

import copy

import pytest
import torch

from forgetlab.core.scenario import parse
from forgetlab.worker.engine.lora import apply_lora, merged


@pytest.fixture
def lora_model(base):
    model = apply_lora(copy.deepcopy(base[0]), parse({"method": "lora", "lora_rank": 4}))
    torch.manual_seed(0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.05)  # peft starts B at zero: give the adapters something to merge
    return model.eval()


def frozen(model) -> dict[str, torch.Tensor]:
    return {name: p.detach() for name, p in model.named_parameters() if "lora_" not in name}


def same_storage(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.data_ptr() == b.data_ptr()


def test_merged_gives_the_adapter_paths_logits_and_puts_back_the_very_weights(lora_model):
    ids = torch.randint(0, lora_model.config.vocab_size, (4, 12))
    before = frozen(lora_model)
    copies = {name: t.clone() for name, t in before.items()}
    trainable = [name for name, p in lora_model.named_parameters() if p.requires_grad]
    with torch.no_grad():
        through_adapters = lora_model(input_ids=ids).logits
        with merged(lora_model):
            inside = frozen(lora_model)
            through_merged = lora_model(input_ids=ids).logits
        after = lora_model(input_ids=ids).logits
    changed = [name for name in before if not same_storage(inside[name], before[name])]
    assert changed and all(not torch.equal(inside[n], copies[n]) for n in changed)  # the merged weights were used
    assert torch.allclose(through_merged, through_adapters, rtol=1e-5, atol=1e-5)
    assert all(same_storage(frozen(lora_model)[n], before[n]) and torch.equal(before[n], copies[n])
               for n in before)
    assert torch.equal(after, through_adapters)  # the adapter path is back, bit for bit
    assert [name for name, p in lora_model.named_parameters() if p.requires_grad] == trainable


def test_merged_puts_the_weights_back_when_the_evaluation_fails(lora_model):
    before = frozen(lora_model)
    with pytest.raises(RuntimeError), merged(lora_model):
        raise RuntimeError("an evaluation failed")
    assert all(same_storage(frozen(lora_model)[n], before[n]) for n in before)


def test_merged_leaves_a_model_without_adapters_alone(base):
    model = base[0]
    before = frozen(model)
    with merged(model):
        assert all(same_storage(frozen(model)[n], before[n]) for n in before)
