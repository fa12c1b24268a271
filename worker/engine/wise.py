"""Post-hoc WiSE-FT: evaluate θ(α) = (1−α)·θ_base + α·θ_ft at several α, with no retraining.

α = 0 is the base, α = 1 the fine-tuned model; the curve in between is a dial from general
skill to task skill that costs one evaluation per point.
"""

from __future__ import annotations

import copy

import torch

from .evaluate import EncodedSuite, evaluate
from .weights import merged_state

# A 0.1 grid: the task's transition often lies between two points of a 0/.25/.5/.75/1 grid.
ALPHAS = tuple(i / 10 for i in range(11))


@torch.no_grad()
def interpolate(base_model, tuned_model, alpha: float):
    """A plain model holding θ(α); works for full fine-tuning and LoRA (its update folded in)."""
    base = base_model.state_dict()
    tuned = merged_state(tuned_model)
    blended = copy.deepcopy(base_model)
    blended.load_state_dict({k: base[k] + alpha * (tuned[k] - base[k]) for k in base})
    return blended.eval()


def wise_curve(base_model, tuned_model, encoded: EncodedSuite, task: str, alphas=ALPHAS) -> list[dict]:
    curve = []
    for alpha in alphas:
        result = evaluate(interpolate(base_model, tuned_model, alpha), encoded)
        curve.append({"alpha": alpha, "capabilities": {c: v["accuracy"] for c, v in result["capabilities"].items()},
                      "task": result["tasks"][task]["accuracy"],
                      "nll": {c: v["nll"] for c, v in result["capabilities"].items()}})
    return curve
