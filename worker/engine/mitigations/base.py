"""The hooks a mitigation may use to join the training loop; every hook only adds.

- `extra_examples(step)`: rows to append to this step's batch (general mix, replay, safety mix).
- `extra_loss(model)`: a term to add to this step's loss (EWC, L2-SP, KL to base).
- `should_stop(point)`: a reason to stop at an evaluation point, given {"step", "val_loss"} (early stopping).
A mitigation that needs the base model's outputs or weights computes them in `__init__`, once,
before training starts. None of them reassigns the loop's state.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..encoding import Batch


@dataclass
class Context:
    """What mitigations may read when they are built: the base before any update."""

    model: torch.nn.Module  # the model that will train (a peft wrapper for LoRA)
    tokenizer: object
    base_weights: dict[str, torch.Tensor]  # base parameters, keyed by base names
    seq_len: int  # every pool is padded to this, so extra rows stack onto the batch
    seed: int


class Mitigation:
    name = "mitigation"

    def extra_examples(self, step: int) -> Batch | None:
        return None

    def extra_loss(self, model: torch.nn.Module) -> torch.Tensor | None:
        return None

    def should_stop(self, point: dict) -> str | None:
        return None


def sample_rows(pool: Batch, count: int, generator: torch.Generator) -> Batch:
    """`count` rows drawn with replacement: mixes are sampled, not iterated, so any ratio works."""
    return pool.take(torch.randint(len(pool), (count,), generator=generator))
