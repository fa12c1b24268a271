"""Freeze the lowest layers (Zheng et al., ICLR 2025): the token embeddings and the lowest N transformer
blocks get requires_grad False before the optimizer is built, so it never holds them and they never move.

Where the output head is tied to the embeddings (both tiers' bases), it is the same tensor and stays
frozen too. Under LoRA the freezing happens before peft wraps the model, and worker/engine/lora.py puts
no adapters on frozen layers: a frozen block stays the base's under either method.
"""

from __future__ import annotations

import torch

from forgetlab.core.scenario import ScenarioError

from .base import Context, Mitigation


def blocks(model: torch.nn.Module) -> torch.nn.ModuleList:
    """The model's transformer blocks, lowest first: its module list as long as its config's layer count."""
    count = model.config.num_hidden_layers
    found = next((m for m in model.modules() if isinstance(m, torch.nn.ModuleList) and len(m) == count), None)
    if found is None:
        raise ScenarioError({"freeze_layers": f"cannot find this base's {count} transformer blocks to freeze"})
    return found


class FreezeLayers(Mitigation):
    name = "freeze_layers"

    def __init__(self, count: int):
        self.count = count

    def freeze(self, model: torch.nn.Module) -> None:
        stack = blocks(model)
        if self.count >= len(stack):  # a base swapped in (`Tier.with_model`) may have fewer blocks than the tier's
            raise ScenarioError({"freeze_layers": f"this base has {len(stack)} transformer blocks: freeze at most "
                                                  f"{len(stack) - 1}, so at least one block still learns the task"})
        model.get_input_embeddings().requires_grad_(False)
        for block in stack[:self.count]:
            block.requires_grad_(False)


def build(scenario, ctx: Context) -> FreezeLayers | None:
    return FreezeLayers(scenario.freeze_layers) if scenario.freeze_layers > 0 else None
