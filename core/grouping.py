"""Which runs may train as one group on one frozen base (worker/engine/grouped.py; docs/grouped-training.md).

Torch-free, so that the worker's job (worker/jobs.py) can pick compatible queued runs from the database before
it imports the engine.
"""

from __future__ import annotations

from .scenario import Scenario, ScenarioError, parse


def group_key(scenario: Scenario, device: str = "cpu") -> tuple | None:
    """Runs with the same key can train together; None: this run trains alone (full fine-tuning shares no
    frozen base; adapter dropout draws its masks from the global random stream, layer by layer)."""
    if scenario.method != "lora" or scenario.lora_dropout > 0:
        return None
    return scenario.tier, scenario.base_seed, device


def config_key(config: dict) -> tuple | None:
    """`group_key` of a stored run's config; None for a config that no longer parses (that run fails alone,
    with its reason, when it is taken)."""
    try:
        return group_key(parse(config))
    except ScenarioError:
        return None
