"""The synthetic tier: a tiny Llama pretrained on the lab's own token world (see world.py), shipped in base/.

It breaks in seconds on a laptop CPU, which is what a learner needs to see forgetting happen.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from ...probes import Suite
from ..base import CapabilityInfo, ModelRef, Pairs, TaskInfo, Tier
from . import world

BASE_DIR = Path(__file__).resolve().parent / "base"  # the shipped checkpoint (base seed 0) and its recipe
# The pretraining seed of each shipped base: a scenario's base_seed i picks the i-th, the first three seeds
# whose base meets the recipe's quality bar. Seeds 0, 2, 3 and 4 were pretrained too and failed it (reasoning
# never emerged in their 1,200 steps: 0.02-0.33); recipe.json in each directory records its seed.
PRETRAIN_SEEDS = (1, 5, 6)
BASE_SEEDS = len(PRETRAIN_SEEDS)  # shipped bases: base/, base-1/, base-2/
VALIDATION_SEED_OFFSET = 7


def base_dir(index: int = 0) -> Path:
    """Where the base of `base_seed` index is shipped: base/ for 0, base-<index>/ for the others."""
    return BASE_DIR if index == 0 else BASE_DIR.with_name(f"base-{index}")


class SyntheticTier(Tier):
    def __init__(self):
        families = world.FAMILIES.values()
        super().__init__(
            name="synthetic", title="Synthetic world (tiny Llama, 170k parameters)",
            description="A token world with five general capabilities and four tasks; a run takes seconds on a CPU.",
            capabilities={f.name: CapabilityInfo(f.name, f.description) for f in families if f.kind == "capability"},
            tasks={f.name: TaskInfo(f.name, f.description, f.distance, f.template) for f in families if f.kind == "task"})

    base_seeds = BASE_SEEDS
    default_task = "support-narrow"
    refusal_capabilities = ("safety",)
    one_cpu_thread = True

    @functools.cache
    def base_model(self, seed: int = 0) -> ModelRef:
        path = base_dir(seed)
        recipe = json.loads((path / "recipe.json").read_text())
        return ModelRef(path, f"synthetic base, seed {recipe['recipe']['seed']}", recipe["sha256"])

    def words(self) -> frozenset[str]:
        """The word-level tokenizer's vocabulary, read from the base it fine-tunes (no tokenizer library needed)."""
        return _tokenizer_words(self.model().path / "tokenizer.json")

    def probe_suite(self) -> Suite:
        suite = world.probe_suite()
        for task in self.datasets:
            suite.probes += self.dataset_probes(task)
        return suite

    def own_task_examples(self, task: str, n: int, seed: int) -> Pairs:
        return world.examples(task, n, seed)

    def own_validation_examples(self, task: str, n: int, seed: int) -> Pairs:
        """Distinct prompts of the task's validation split: disjoint from training and probes by hash."""
        return world.examples(task, n, seed + VALIDATION_SEED_OFFSET, split="validation", distinct=True)

    def general_examples(self, n: int, seed: int) -> Pairs:
        """The mitigations' general pool: never a probe input, and only the rehearsed facts."""
        return world.general_examples(n, seed, rehearsed_only=True)

    def safety_examples(self, n: int, seed: int) -> Pairs:
        return world.examples("safety", n, seed)


@functools.cache
def _tokenizer_words(path: Path) -> frozenset[str]:
    return frozenset(json.loads(path.read_text())["model"]["vocab"])
