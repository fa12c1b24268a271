"""Weight snapshots and deltas from the base, the same for full fine-tuning and LoRA.

EWC, L2-SP and WiSE-FT all reason about Δθ = θ − θ_base. For full fine-tuning that is the
parameter minus its snapshot; for LoRA it is each adapted layer's low-rank update (B·A·scale),
while the frozen base weights have Δ = 0 by construction. Keys are the base model's names.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import torch

PEFT_PREFIX = "base_model.model."


def _is_peft(model) -> bool:
    """Whether the model is a peft wrapper, without importing peft: it is loaded only when a LoRA run
    needs it, so a worker is ready sooner (a model cannot be a PeftModel before peft is imported)."""
    peft = sys.modules.get("peft")
    return peft is not None and isinstance(model, peft.PeftModel)


def snapshot(model) -> dict[str, torch.Tensor]:
    """A detached copy of every parameter, keyed by the base model's parameter names."""
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def views(model) -> dict[str, torch.Tensor]:
    """Every parameter detached but not copied, keyed by name: the weights of a model that is never trained
    (the untouched base), at no memory cost (SmolLM2's copy would be 540 MB)."""
    return {name: p.detach() for name, p in model.named_parameters()}


def deltas(model, base: dict[str, torch.Tensor]) -> Iterator[tuple[str, torch.Tensor]]:
    """(base parameter name, Δ) for every weight that training can move; differentiable."""
    if _is_peft(model):
        from peft.tuners.lora import LoraLayer

        for name, module in model.named_modules():
            if isinstance(module, LoraLayer) and module.active_adapters:
                key = name.removeprefix(PEFT_PREFIX) + ".weight"
                yield key, module.get_delta_weight(module.active_adapters[0])
        return
    for name, p in model.named_parameters():
        if p.requires_grad:
            yield name, p - base[name]


def merged_state(model) -> dict[str, torch.Tensor]:
    """The model's effective weights under base names (LoRA updates folded in)."""
    if not _is_peft(model):
        return {k: v.detach().clone() for k, v in model.state_dict().items()}
    state = {}
    for name, tensor in model.state_dict().items():
        if "lora_" in name:
            continue
        state[name.removeprefix(PEFT_PREFIX).replace(".base_layer.", ".")] = tensor.detach().clone()
    for key, delta in deltas(model, {}):
        state[key] = state[key] + delta.detach()
    return state
