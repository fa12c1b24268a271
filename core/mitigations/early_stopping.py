"""Early stopping: end training once the task's validation loss stops improving."""

from .base import Mitigation, field

MITIGATION = Mitigation(
    name="early_stopping", title="Early stopping",
    fields={"early_stopping": (bool, field(False, "Stop when the task's validation loss stops improving.")),
            "patience": (int, field(3, "Evaluations without improvement before early stopping.", ge=1, le=50)),
            "min_delta": (float, field(0.0, "Smallest validation-loss drop that counts as improvement.",
                                       ge=0.0, le=1.0))},
    describe=lambda c: "early stopping")
