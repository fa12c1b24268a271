"""Elastic Weight Consolidation: a penalty on moving the weights the general capabilities rely on."""

from .base import Mitigation, field

MITIGATION = Mitigation(
    name="ewc", title="Elastic Weight Consolidation",
    fields={"ewc_lambda": (float, field(0.0, "Elastic Weight Consolidation strength; 0 turns it off.",
                                        ge=0.0, le=1e6)),
            "ewc_samples": (int, field(256, "General examples used to estimate the diagonal Fisher, once, on the "
                                            "base.", ge=16, le=4096))},
    describe=lambda c: f"a penalty on moving the weights general skills rely on (EWC {c['ewc_lambda']:g})")
