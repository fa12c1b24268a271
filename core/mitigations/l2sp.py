"""L2-SP: a uniform pull toward the base weights (EWC with every weight equally important)."""

from ..fields import field
from .base import GROUP, Mitigation

MITIGATION = Mitigation(
    name="l2sp", title="Pull to the base (L2-SP)", order=60,
    fields={"l2sp_weight": (float, field(0.0, "Pull toward the base weights (L2-SP); 0 is off.", GROUP,
                                         label="L2-SP weight", ge=0.0, le=1e4))},
    describe=lambda c: f"a pull toward the base weights (L2-SP {c['l2sp_weight']:g})")
