"""Elastic Weight Consolidation: a penalty on moving the weights the general capabilities rely on."""

from ..fields import field
from .base import GROUP, Mitigation

MITIGATION = Mitigation(
    name="ewc", title="Elastic Weight Consolidation", order=50,
    fields={"ewc_lambda": (float, field(0.0, "Elastic Weight Consolidation strength; 0 turns it off.", GROUP,
                                        label="EWC strength (λ)", ge=0.0, le=1e6)),
            "ewc_samples": (int, field(256, "General examples used to estimate the diagonal Fisher, once, on the "
                                            "base.", GROUP, label="EWC Fisher examples", ge=16, le=4096))},
    describe=lambda c: f"a penalty on moving the weights general skills rely on (EWC {c['ewc_lambda']:g})")
