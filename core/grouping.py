"""Which runs may train as one group on one frozen base (worker/engine/grouped.py; docs/grouped-training.md).

Torch-free, so that the worker's job (worker/jobs.py) can pick compatible queued runs from the database before
it imports the engine.
"""

from __future__ import annotations

from .scenario import Scenario, ScenarioError, parse
from .tiers import get_tier


def device_of(queue: str | None) -> str:
    """Where a run of this queue computes: the gpu queue's workers on CUDA, every other on the CPU."""
    return "cuda" if queue == "gpu" else "cpu"


def group_key(scenario: Scenario, device: str = "cpu") -> tuple | None:
    """Runs with the same key can train together; None: this run trains alone (full fine-tuning shares no
    frozen base; adapter dropout draws its masks from the global random stream, layer by layer)."""
    if scenario.method != "lora" or scenario.lora_dropout > 0:
        return None
    return scenario.tier, scenario.base_seed, device


def scheduled_key(scenario: Scenario, queue: str | None) -> tuple | None:
    """The key the workers gather queued runs by (worker/jobs.py): `group_key` on the queue's device, except that
    a tier whose groups gained nothing on the CPU (`Tier.groups_on_cpu`) trains each run alone there."""
    device = device_of(queue)
    if device == "cpu" and not get_tier(scenario.tier).groups_on_cpu:
        return None
    return group_key(scenario, device)


def share(compatible: int, free: int, group_size: int, device: str) -> int:
    """How many runs one worker process takes into its group: on the CPU, its share of the `compatible` queued runs
    it sees (its own included) among the `free` worker processes that could train them now (itself included),
    rounded up, since a group trains on its own process's threads and a process left idle is a core left idle;
    on a GPU, where one process uses the whole device, all of them. Never more than `group_size`, never less than
    its own run."""
    if device == "cpu":
        compatible = -(-compatible // max(1, free))
    return max(1, min(group_size, compatible))


def config_key(config: dict, queue: str | None = None) -> tuple | None:
    """`scheduled_key` of a stored run's config on its queue; None for a config that no longer parses (that run
    fails alone, with its reason, when it is taken)."""
    try:
        return scheduled_key(parse(config), queue)
    except ScenarioError:
        return None
