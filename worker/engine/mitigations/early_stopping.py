"""Early stopping on the task's validation loss: stop once it has not improved for `patience` evaluations."""

from __future__ import annotations

from .base import Context, Mitigation


class EarlyStopping(Mitigation):
    name = "early_stopping"

    def __init__(self, patience: int, min_delta: float):
        self.patience, self.min_delta = patience, min_delta
        self.best, self.waited = float("inf"), 0

    def should_stop(self, point: dict) -> str | None:
        if point["val_loss"] < self.best - self.min_delta:
            self.best, self.waited = point["val_loss"], 0
            return None
        self.waited += 1
        if self.waited >= self.patience:
            return (f"validation loss has not improved by more than {self.min_delta:g} for {self.patience} "
                    f"evaluations (best {self.best:.4f})")
        return None


def build(scenario, ctx: Context) -> EarlyStopping | None:
    return EarlyStopping(scenario.patience, scenario.min_delta) if scenario.early_stopping else None
