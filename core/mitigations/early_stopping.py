"""Early stopping, as the literature means it: the task's validation loss is checked on its own cadence
(every `validate_every` steps; cheap, the validation set is 32 held-out examples), training ends once it
has not improved for `patience` checks, and the weights of the best check are restored."""

from ..fields import field
from .base import GROUP, Mitigation

MITIGATION = Mitigation(
    name="early_stopping", title="Early stopping", order=80,
    fields={"early_stopping": (bool, field(False, "Stop when the task's validation loss stops improving.", GROUP)),
            "patience": (int, field(3, "Validation checks without improvement before early stopping.", GROUP,
                                    ge=1, le=50)),
            "validate_every": (int, field(5, "Steps between early stopping's validation-loss checks (its own "
                                             "cadence, apart from the curves' eval_every).", GROUP, ge=1, le=500)),
            "min_delta": (float, field(0.0, "Smallest validation-loss drop that counts as improvement.", GROUP,
                                       label="Minimum improvement", ge=0.0, le=1.0))},
    describe=lambda c: "early stopping")
