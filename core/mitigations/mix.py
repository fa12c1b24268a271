"""A general mix: a share of every batch drawn fresh from a large pool of general data (the article's 20-30%)."""

from ..fields import field
from .base import GROUP, Mitigation

MITIGATION = Mitigation(
    batch_share="mix_ratio", name="mix", title="General data mix", order=10,
    fields={"mix_ratio": (float, field(0.0, "Share of each batch drawn fresh from general data (the article's "
                                            "20-30%).", GROUP, label="General data mix", ge=0.0, le=0.9))},
    describe=lambda c: f"{c['mix_ratio'] * 100:.0f}% general data in every batch")
