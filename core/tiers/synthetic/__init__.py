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

BASE_DIR = Path(__file__).resolve().parent / "base"  # the shipped checkpoint and its recipe
VALIDATION_SEED_OFFSET = 7


class SyntheticTier(Tier):
    def __init__(self):
        families = world.FAMILIES.values()
        super().__init__(
            name="synthetic", title="Synthetic world (tiny Llama, 170k parameters)",
            description="A token world with five general capabilities and four tasks; a run takes seconds on a CPU.",
            capabilities={f.name: CapabilityInfo(f.name, f.description) for f in families if f.kind == "capability"},
            tasks={f.name: TaskInfo(f.name, f.description, f.distance, f.template) for f in families if f.kind == "task"})

    @functools.cache
    def base_model(self) -> ModelRef:
        recipe = json.loads((BASE_DIR / "recipe.json").read_text())
        return ModelRef(BASE_DIR, f"synthetic base, seed {recipe['recipe']['seed']}", recipe["sha256"])

    def probe_suite(self) -> Suite:
        suite = world.probe_suite()
        for task in self.datasets:
            suite.probes += self.dataset_probes(task)
        return suite

    def own_task_examples(self, task: str, n: int, seed: int) -> Pairs:
        return world.examples(task, n, seed)

    def own_validation_examples(self, task: str, n: int, seed: int) -> Pairs:
        return world.examples(task, n, seed + VALIDATION_SEED_OFFSET)

    def general_examples(self, n: int, seed: int) -> Pairs:
        return world.general_examples(n, seed)

    def safety_examples(self, n: int, seed: int) -> Pairs:
        return world.examples("safety", n, seed)
