"""LoRA through peft: wrap the base so only low-rank adapters train and the base stays frozen."""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import torch

from forgetlab.core.scenario import Scenario

# peft calls a transformers method deprecated in v5; the warning is theirs, not the user's.
warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)


def apply_lora(model, scenario: Scenario):
    # Imported here, not at the top: a worker warms up without peft and is ready sooner.
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=scenario.lora_rank, lora_alpha=scenario.lora_alpha, lora_dropout=scenario.lora_dropout,
                        target_modules=targets(model, scenario), bias="none", task_type="CAUSAL_LM")
    return get_peft_model(model, config)


def targets(model, scenario: Scenario) -> list[str]:
    """The layers that get adapters: the scenario's target projections, but none whose weight a mitigation
    froze (freeze_layers): a frozen block stays the base's under LoRA too. Where nothing is frozen, the
    projections' short names, as peft matches them in every block."""
    kinds = set(scenario.lora_targets)
    layers = [(name, module) for name, module in model.named_modules()
              if name.rpartition(".")[2] in kinds and isinstance(getattr(module, "weight", None), torch.nn.Parameter)]
    if all(module.weight.requires_grad for _, module in layers):
        return list(scenario.lora_targets)
    return [name for name, module in layers if module.weight.requires_grad]  # full names: peft matches them exactly


@contextmanager
def merged(model):
    """Within it, `model` (a peft LoRA model; anything else is left alone) computes through merged weights: each
    adapted projection's weight is a new tensor, the frozen weight plus its adapters' product, and the adapters are
    off. One matrix product a projection instead of three, for an evaluation point (docs/benchmarks.md, "Evaluating
    a LoRA run through merged weights"). On leaving, every frozen weight is the very tensor it was, so training
    goes on from bit-identical weights."""
    from peft import PeftModel
    from peft.tuners.lora import Linear, LoraLayer

    layers = [m for m in model.modules() if isinstance(m, LoraLayer)] if isinstance(model, PeftModel) else []
    # Only plain LoRA on linear layers, unmerged: what apply_lora() builds; any other layer keeps its own path.
    if not layers or not all(type(m) is Linear and not m.merged and not any(m.use_dora.values()) for m in layers):
        yield
        return
    kept = []
    try:
        with torch.no_grad():
            for m in layers:
                weight = m.base_layer.weight
                kept.append((weight, weight.data))
                weight.data = weight.data + sum(m.get_delta_weight(a) for a in m.active_adapters)
        with model.disable_adapter():
            yield
    finally:
        for weight, data in kept:
            weight.data = data
