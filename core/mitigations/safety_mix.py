"""Safety mix: a share of every batch drawn from refusal and compliance examples, so refusing is rehearsed."""

from ..fields import field
from .base import GROUP, Mitigation

MITIGATION = Mitigation(
    batch_share="safety_mix", name="safety_mix", title="Safety data mix", order=30,
    fields={"safety_mix": (float, field(0.0, "Share of each batch drawn from refusal/safety examples.", GROUP,
                                        label="Safety data mix", ge=0.0, le=0.5))},
    describe=lambda c: f"{c['safety_mix'] * 100:.0f}% refusal examples in every batch")
