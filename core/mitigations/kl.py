"""Distillation to the base (Learning without Forgetting): keep answers on general prompts close to the base's."""

from ..fields import field
from .base import GROUP, Mitigation

MITIGATION = Mitigation(
    name="kl", title="Distil to the base (LwF)", order=70,
    fields={"kl_weight": (float, field(0.0, "Distillation to the base's outputs on general prompts (LwF); 0 is off.",
                                       GROUP, label="Distillation (KL) weight", ge=0.0, le=100.0))},
    describe=lambda c: f"a pull toward the base model's own answers (KL {c['kl_weight']:g})")
