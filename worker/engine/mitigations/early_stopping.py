"""Early stopping on the task's validation loss, as the literature means it: the loss is checked every
`validate_every` steps (its own cadence, cheap: 32 held-out examples), training stops once it has not
improved for `patience` checks, and the weights of the best check are restored at the end."""

from __future__ import annotations

import torch

from .base import Context, Mitigation


class EarlyStopping(Mitigation):
    name = "early_stopping"

    def __init__(self, patience: int, min_delta: float, every: int):
        self.patience, self.min_delta, self.check_every = patience, min_delta, every
        self.best, self.best_step, self.waited = float("inf"), None, 0
        self.best_weights: dict[str, torch.Tensor] = {}

    def should_stop(self, point: dict) -> str | None:
        if point["val_loss"] < self.best - self.min_delta:
            self.best, self.best_step, self.waited = point["val_loss"], point["step"], 0
            # Only the trainable weights move (a LoRA run: its adapters), so only they are kept.
            self.best_weights = {n: p.detach().clone() for n, p in point["model"].named_parameters()
                                 if p.requires_grad}
            return None
        self.waited += 1
        if self.waited >= self.patience:
            return (f"validation loss has not improved by more than {self.min_delta:g} for {self.patience} "
                    f"checks, {self.patience * self.check_every} steps (best {self.best:.4f} at step {self.best_step})")
        return None

    def state(self) -> dict:
        return {"best": self.best, "best_step": self.best_step, "waited": self.waited,
                "best_weights": {n: w.cpu() for n, w in self.best_weights.items()}}

    def load(self, state: dict) -> None:
        self.best, self.best_step, self.waited = state["best"], state["best_step"], state["waited"]
        self.best_weights = state["best_weights"]  # copied onto the model's device by restore()

    @torch.no_grad()
    def restore(self, model: torch.nn.Module) -> int | None:
        if not self.best_weights:
            return None
        for name, p in model.named_parameters():
            if name in self.best_weights:
                p.copy_(self.best_weights[name])
        return self.best_step


def build(scenario, ctx: Context) -> EarlyStopping | None:
    if not scenario.early_stopping:
        return None
    return EarlyStopping(scenario.patience, scenario.min_delta, scenario.validate_every)
