"""Self-rehearsal: the base answers general prompts itself before fine-tuning, and those answers join every
batch. It needs no general dataset, only prompts, and it rehearses exactly what this base did, not what
some dataset says a model should do."""

from ..fields import field
from .base import GROUP, Mitigation

MITIGATION = Mitigation(
    name="self_rehearsal", title="Self-rehearsal", batch_share="rehearsal_ratio", order=40,
    fields={"rehearsal_ratio": (float, field(0.0, "Share of each batch drawn from the base model's own answers to "
                                                  "general prompts, generated before fine-tuning.", GROUP,
                                             label="Self-rehearsal share", ge=0.0, le=0.9)),
            "rehearsal_prompts": (int, field(64, "How many general prompts the base answers for self-rehearsal.",
                                             GROUP, label="Self-rehearsal prompts", ge=8, le=1024))},
    describe=lambda c: f"{c['rehearsal_ratio'] * 100:.0f}% of each batch from the base model's own answers "
                       f"to {c['rehearsal_prompts']} general prompts (self-rehearsal)")
