"""Probe suites as data: (prompt, expected answer, capability) plus a little metadata.

A suite is model-agnostic. The synthetic world builds one from a fixed seed
(`core.tiers.synthetic.world.probe_suite`); a real-model suite can be a JSONL file with one
probe per line: {"prompt": ..., "answer": ..., "capability": ..., "kind": "capability"|"task",
"group": optional}. This module is torch-free.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Probe:
    prompt: str
    answer: str
    capability: str
    kind: str = "capability"  # "capability" (general, must not be forgotten) or "task" (fine-tuning target)
    group: str = ""  # sub-population, e.g. "harmful" / "benign" for safety
    check: dict | None = field(default=None, hash=False)  # how a generated answer is judged (judged suites)


@dataclass(frozen=True)
class Judge:
    """How a tier judges generated text, for suites scored on greedy generations rather than exact match."""

    check: Callable[[dict, str], bool]  # does this output pass this probe's check?
    is_refusal: Callable[[str], bool]
    opens_with: Callable[[str, str], bool]  # does this output open with a task's template (text, prefix)?


@dataclass
class Suite:
    probes: list[Probe]
    # Exact-match suites: the answer token a refusal starts with (refusal / over-refusal rates need it).
    refusal_token: str | None = None
    # The start of each task's fixed template, for the format-rigidity measure: its first answer token
    # (exact-match suites) or its opening words (judged suites).
    templates: dict[str, str] = field(default_factory=dict)
    # Judged suites: accuracy is the share of greedy generations that pass each probe's check, and the
    # answer is a reference whose likelihood is the continuous measure. None: exact match.
    judge: Judge | None = None

    @property
    def capabilities(self) -> list[str]:
        return _ordered({p.capability for p in self.probes if p.kind == "capability"}, self.probes)

    @property
    def tasks(self) -> list[str]:
        return _ordered({p.capability for p in self.probes if p.kind == "task"}, self.probes)

    def select(self, names: list[str]) -> "Suite":
        """The same suite restricted to the given capabilities and tasks."""
        keep = set(names)
        return Suite([p for p in self.probes if p.capability in keep], self.refusal_token, self.templates, self.judge)

    def head(self, n: int) -> "Suite":
        """The first n probes of every capability and task (probe lists are ordered to stay balanced)."""
        counts: dict[str, int] = {}
        kept = []
        for p in self.probes:
            counts[p.capability] = counts.get(p.capability, 0) + 1
            if counts[p.capability] <= n:
                kept.append(p)
        return Suite(kept, self.refusal_token, self.templates, self.judge)

    def to_jsonl(self, path: str | Path) -> None:
        with open(path, "w") as f:
            for p in self.probes:
                f.write(json.dumps(asdict(p)) + "\n")

    @classmethod
    def from_jsonl(cls, path: str | Path, refusal_token: str | None = None) -> "Suite":
        probes = []
        for n, line in enumerate(Path(path).read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                probes.append(Probe(**json.loads(line)))
            except (TypeError, ValueError) as e:
                raise ValueError(f"{path}:{n}: not a probe ({e})") from None
        return cls(probes, refusal_token)


def _ordered(names: set[str], probes: list[Probe]) -> list[str]:
    seen: list[str] = []
    for p in probes:
        if p.capability in names and p.capability not in seen:
            seen.append(p.capability)
    return seen
