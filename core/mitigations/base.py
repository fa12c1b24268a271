"""What a mitigation declares, torch-free: its scenario fields, its checks and how it reads in words.

A declaration is `MITIGATION` in core/mitigations/<name>.py, found by its module's name (core/mitigations/
__init__.py). The scenario schema is assembled from these declarations (core/scenario.py), the form shows
each field's label, the run page's reading quotes `describe`, and the engine finds the training hooks in
worker/engine/mitigations/<name>.py (they need torch, so they cannot live here: core stays torch-free).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

GROUP = "mitigations"  # the form group of every mitigation's fields (core/fields.py's `field(..., GROUP)`)


@dataclass(frozen=True)
class Mitigation:
    name: str  # its module's name, here and in worker/engine/mitigations/
    title: str
    # Where it joins the loop: data mitigations' rows are stacked, penalties summed, in ascending order
    # (so it is part of the results); unique.
    order: int
    fields: dict[str, tuple[type, Any]]  # scenario field -> (type, field(...)); the first one switches it on
    describe: Callable[[dict], str]  # the mitigation in a few plain words, from a scenario dict
    check: Callable[[Any], str | None] = lambda scenario: None  # a reason the scenario is invalid, or None
    batch_share: str | None = None  # the field holding the share of each batch its rows take, if any

    def enabled(self, config: dict) -> bool:
        """On when its first field is set (a ratio or strength above 0, or a flag)."""
        return bool(config.get(next(iter(self.fields))))
