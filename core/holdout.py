"""The held-out split of an assignment's probes (Kaggle's public and private leaderboards).

An instructor may keep a share of every capability's probes and of the task's probes private: a student's
curves and summary show only the public part, and the goal, the grade and the final leaderboard judge the
private part, so tuning a run to the probes a student can see does not buy a grade.

Which probes are private is a pure function of the probes and the assignment's split: of each capability's
(and the task's) probes, the share with the lowest hashes of (salt, capability, prompt) is private. The salt
is random per assignment and never shown to students, so they cannot work out which probes count. The split
is made on the whole suite (the first and last evaluation points) and the points between, which measure its
first probes, keep each probe in its part; a part such a point happens to hold no probe of falls back to
the point's whole figure (with the tiers' suites, rarer than one name in ten thousand).

The engine measures the whole suite once and aggregates its per-probe results by part (`parts`): no second
forward pass. This module imports neither torch, FastAPI nor Celery.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from typing import Any

PUBLIC, PRIVATE = "public", "private"


@dataclass(frozen=True)
class Holdout:
    """An assignment's split: `share` of the probes (0 < share < 1) are private."""

    share: float
    salt: str

    def to_json(self) -> dict:
        return {"share": self.share, "salt": self.salt}

    @classmethod
    def from_json(cls, data: dict | None) -> "Holdout | None":
        return cls(float(data["share"]), str(data["salt"])) if data else None


def new_salt() -> str:
    return secrets.token_hex(16)


def check_percent(text: Any) -> float | None:
    """An instructor's private share as a percent (e.g. "50"): the share 0.5, or None for no split (empty or 0).
    ValueError says why otherwise (the caller names the field, `private_percent`)."""
    if text is None or not str(text).strip():
        return None
    try:
        percent = float(str(text).strip().rstrip("%"))
    except ValueError:
        raise ValueError("a percent of the probes to keep private, from 1 to 99 (empty: no split)") from None
    if percent == 0:
        return None
    if math.isnan(percent) or not 1 <= percent <= 99:
        raise ValueError("a percent of the probes to keep private, from 1 to 99 (empty: no split)")
    return percent / 100


def _position(salt: str, capability: str, prompt: str) -> float:
    digest = hashlib.sha256(f"{salt}\x00{capability}\x00{prompt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64


def private_flags(holdout: Holdout, capability: str, prompts: list[str]) -> list[bool]:
    """Per prompt of one capability or task (its whole suite, in order), whether it is private: the share of
    them with the lowest hashes, rounded, and at least one in each part when there are two or more."""
    positions = [_position(holdout.salt, capability, p) for p in prompts]
    count = round(holdout.share * len(prompts))
    if len(prompts) >= 2:
        count = min(max(count, 1), len(prompts) - 1)
    chosen = set(sorted(range(len(prompts)), key=positions.__getitem__)[:count])
    return [i in chosen for i in range(len(prompts))]


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def parts(result: dict, prompts: dict[str, list[str]], holdout: Holdout) -> dict[str, dict]:
    """An evaluation's figures per part: {"public" | "private": {"capabilities": {name: {accuracy, nll}},
    "tasks": {name: {accuracy, nll}}}}, aggregated from its per-probe results (`result["items"]` for the
    capabilities, `result["task_items"]` for the tasks: [passed, nll] in suite order). `prompts`: each name's
    prompts in the whole suite, whose head the items are. A name without per-probe results (a judged tier's base
    measured before the split existed, read from its cache) keeps its whole figure in both parts."""
    out: dict[str, dict] = {part: {"capabilities": {}, "tasks": {}} for part in (PUBLIC, PRIVATE)}
    for kind, items_key in (("capabilities", "items"), ("tasks", "task_items")):
        for name, whole in result.get(kind, {}).items():
            items = (result.get(items_key) or {}).get(name)
            if not items:
                for part in (PUBLIC, PRIVATE):
                    out[part][kind][name] = dict(whole)
                continue
            flags = private_flags(holdout, name, prompts[name])[:len(items)]
            for part, wanted in ((PUBLIC, False), (PRIVATE, True)):
                chosen = [item for item, flag in zip(items, flags) if flag == wanted]
                out[part][kind][name] = {"accuracy": _mean([float(bool(p)) for p, _ in chosen]),
                                         "nll": _mean([float(n) for _, n in chosen])} if chosen else dict(whole)
    return out


def public_items(items: dict | None, prompts: dict[str, list[str]], holdout: Holdout) -> dict | None:
    """Per-probe results of the public probes only (the order kept), for what a student's summary shows."""
    if not items:
        return items
    return {name: [item for item, flag in zip(rows, private_flags(holdout, name, prompts[name]))
                   if not flag] for name, rows in items.items()}


# --- what graders read -----------------------------------------------------------------------------------
PRIVATE_FIELDS = ("baseline", "final", "forgetting", "max_drop", "retention", "bwt", "task_accuracy", "task_gain",
                  "baseline_nll", "final_nll")


def judged(summary: dict | None, private: dict | None) -> dict | None:
    """The summary a goal, a grade and the final leaderboard read: the run's, with the private part's figures in
    place of the public ones (the run's own summary when it has no private part)."""
    if not summary or not private:
        return summary
    return {**summary, **{k: private[k] for k in PRIVATE_FIELDS if k in private}}
