"""The training hooks a mitigation may use to join the loop.

Each mitigation's fields, checks and words are declared in core/mitigations/ (torch-free); its
hooks live here, in a file of the same name whose `build(scenario, ctx)` returns the hooks, or
None when the scenario leaves it off. Every hook but `freeze` only adds.


- `freeze(model)`: called once, on the model about to train, before LoRA wraps it and before the optimizer
  is built: may turn requires_grad off on weights that must not move (freeze_layers). It changes which
  weights train, never their values; LoRA then puts no adapters on the frozen layers.
- `extra_examples(step)`: rows to append to this step's batch (general mix, replay, safety mix).
- `extra_loss(model)`: a term to add to this step's loss (EWC, L2-SP, KL to base).
- `should_stop(point)`: a reason to stop, given {"step", "val_loss", "model"}, asked every `check_every`
  steps (its own cadence, apart from the curves' evaluation points; 0: never asked) (early stopping).
- `restore(model)`: called once when training ends (stopped or not); may load weights it kept back into
  the model and return the step they come from (early stopping restores its best check), else None.
- `state()` / `load(state)`: what a training checkpoint keeps of the mitigation (its random draws' generator,
  early stopping's best check), so a resumed run continues it as if never stopped.
A mitigation that needs the base model's weights or fixed outputs computes them in `__init__`, once, before
training starts; one that needs the base's outputs on each step's rows (KL) asks `Context.base_model`, the
untouched base, then. None of them reassigns the loop's state.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from forgetlab.core.tiers import Tier

from ..encoding import Batch, encode


@dataclass
class Context:
    """What mitigations may read when they are built: the base before any update, and the tier's data."""

    model: torch.nn.Module  # the model that will train (a peft wrapper for LoRA)
    tokenizer: object
    base_weights: dict[str, torch.Tensor]  # base parameters, keyed by base names (the base_model's, not copies)
    seq_len: int  # every pool is padded to this, so extra rows stack onto the batch
    seed: int
    tier: Tier  # every pool comes from the tier, never from a module global
    # The untouched base (`model` is a copy of it): read-only and shared by every run of the process, never
    # trained; equal in every weight to `model` before the first update. In eval mode, on the model's device.
    base_model: torch.nn.Module
    device: str = "cpu"  # pools and base outputs live where the model does

    def pool(self, pairs: list[tuple[str, str]], padded: bool = True) -> Batch:
        """Pairs encoded (padded to seq_len where rows will be stacked onto a batch) on the model's device."""
        return encode(self.tokenizer, pairs, length=self.seq_len if padded else None).to(self.device)


class Mitigation:
    name = "mitigation"
    check_every = 0
    generator: torch.Generator | None = None  # a mitigation's own random draws (which rows, which pool items)

    def state(self) -> dict:
        return {"generator": self.generator.get_state()} if self.generator is not None else {}

    def load(self, state: dict) -> None:
        if self.generator is not None:
            self.generator.set_state(state["generator"])

    def restore(self, model: torch.nn.Module) -> int | None:
        return None

    def freeze(self, model: torch.nn.Module) -> None:
        return None

    def extra_examples(self, step: int) -> Batch | None:
        return None

    def extra_loss(self, model: torch.nn.Module) -> torch.Tensor | None:
        return None

    def should_stop(self, point: dict) -> str | None:
        return None


def sample_rows(pool: Batch, count: int, generator: torch.Generator) -> Batch:
    """`count` rows drawn with replacement: mixes are sampled, not iterated, so any ratio works."""
    return pool.take(torch.randint(len(pool), (count,), generator=generator))


class BatchMix(Mitigation):
    """Rows of every batch drawn from a pool: a general mix, replay and the safety mix differ only in the pool."""

    def __init__(self, name: str, pool: Batch, rows_per_step: int, seed: int):
        self.name, self.pool, self.rows = name, pool, rows_per_step
        self.generator = torch.Generator().manual_seed(seed)

    def extra_examples(self, step: int) -> Batch:
        return sample_rows(self.pool, self.rows, self.generator)


def batch_rows(scenario, ratio: float) -> int:
    """How many rows of each batch a data mitigation takes."""
    return round(scenario.batch_size * ratio)
