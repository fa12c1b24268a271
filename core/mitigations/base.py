"""What a mitigation declares, torch-free: its scenario fields, its checks and how it reads in words.

The scenario schema is assembled from these declarations (core/scenario.py), the run page's
reading quotes `describe`, and the engine finds the training hooks of the same name in
worker/engine/mitigations/ (they need torch, so they cannot live here: core stays torch-free).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import Field

GROUP = "mitigations"


def field(default: Any, description: str, **limits: Any) -> Any:
    """A scenario field of this mitigation: a default, a range and a one-line explanation the form shows."""
    return Field(default, description=description, json_schema_extra={"group": GROUP}, **limits)


@dataclass(frozen=True)
class Mitigation:
    name: str
    title: str
    fields: dict[str, tuple[type, Any]]  # scenario field -> (type, field(...)); the first one switches it on
    describe: Callable[[dict], str]  # the mitigation in a few plain words, from a scenario dict
    check: Callable[[Any], str | None] = lambda scenario: None  # a reason the scenario is invalid, or None
    batch_share: str | None = None  # the field holding the share of each batch its rows take, if any

    def enabled(self, config: dict) -> bool:
        """On when its first field is set (a ratio or strength above 0, or a flag)."""
        return bool(config.get(next(iter(self.fields))))
