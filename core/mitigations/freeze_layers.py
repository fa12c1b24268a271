"""Freeze the lowest layers: the token embeddings and the lowest N transformer blocks do not train.

Why: Zheng et al., "Spurious Forgetting in Continual Learning of Language Models" (ICLR 2025), find that
much of the drop on old tasks is lost alignment rather than lost knowledge, most of it in the first ~150
steps of the new task, and that freezing the bottom layers (with the embeddings) cut it sharply. N is
checked against the tier's base (its `blocks()`): at least one block must still train. With LoRA, a frozen
block gets no adapters (worker/engine/lora.py).
"""

from ..fields import field
from .base import GROUP, Mitigation

MOST_BLOCKS = 64  # the schema's bound; the real one is the tier's base (check below, and at load time)


def _check(scenario) -> str | None:
    from ..tiers import get_tier  # imported here: core/scenario.py imports the registry before the tiers are needed

    if not scenario.freeze_layers:  # off: no need to find the base
        return None
    blocks = get_tier(scenario.tier).blocks()
    if blocks is not None and scenario.freeze_layers >= blocks:  # unknown: the engine checks when the base loads
        return (f"the {scenario.tier} tier's base has {blocks} transformer blocks: freeze at most {blocks - 1}, "
                "so at least one block still learns the task")
    return None


MITIGATION = Mitigation(
    name="freeze_layers", title="Freeze the lowest layers", order=90,
    fields={"freeze_layers": (int, field(0, "Freeze the token embeddings and this many of the lowest transformer "
                                            "blocks (with LoRA: no adapters on them); 0 is off.", GROUP,
                                         label="Frozen lowest blocks", ge=0, le=MOST_BLOCKS))},
    describe=lambda c: (f"the token embeddings and the lowest {c['freeze_layers']} "
                        f"block{'s' if c['freeze_layers'] > 1 else ''} frozen"),
    check=_check)
