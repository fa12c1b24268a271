"""Torch-free loaders for the SmolLM2 tier's shipped data (core/tiers/smollm2/data/).

Files are read through importlib.resources so they load from an installed wheel as well as a
checkout; a wheel needs them listed in [tool.setuptools.package-data], e.g.
``core = [..., "tiers/smollm2/data/*.jsonl", "tiers/smollm2/data/*.json"]``. The files are written
by tools/smollm2_suites/ (a build tool outside the installed package); edit that, not them.
"""

import json
from importlib.resources import files

CAPABILITIES = ("instruction", "knowledge", "reasoning", "format", "safety")
TASKS = ("support", "sql")
SPLITS = ("train", "validation", "probe")


def _text(name: str) -> str:
    return files(__package__).joinpath("data").joinpath(name).read_text(encoding="utf-8")


def _jsonl(name: str) -> list[dict]:
    return [json.loads(line) for line in _text(name).splitlines() if line.strip()]


def load_suite(capability: str) -> list[dict]:
    """The items of one capability suite: id, capability, prompt, reference, check (+ split/group)."""
    if capability not in CAPABILITIES:
        raise ValueError(f"unknown capability {capability!r}; expected one of {CAPABILITIES}")
    return _jsonl(f"{capability}.jsonl")


def load_task_items(name: str, split: str) -> list[dict]:
    """One task split as dicts: prompt, response, check (probe scoring needs the check)."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; expected one of {TASKS}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    return _jsonl(f"{name}.{split}.jsonl")


def load_task(name: str, split: str) -> list[tuple[str, str]]:
    """One task split as (prompt, response) pairs."""
    return [(r["prompt"], r["response"]) for r in load_task_items(name, split)]


def general_items() -> list[dict]:
    """General mixing/replay data as dicts: kind, prompt, response."""
    return _jsonl("general.jsonl")


def general_pairs() -> list[tuple[str, str]]:
    """General mixing/replay data as (prompt, response) pairs."""
    return [(r["prompt"], r["response"]) for r in general_items()]


def self_rehearsal_items() -> list[dict]:
    """Self-rehearsal prompts as dicts: kind, prompt (kind "refusal" marks harmful prompts)."""
    return _jsonl("self_rehearsal_prompts.jsonl")


def self_rehearsal_prompts() -> list[str]:
    """Prompts the base model answers itself before fine-tuning."""
    return [r["prompt"] for r in self_rehearsal_items()]


def task_manifest() -> dict:
    """tasks.json: per task its description, distance, house-style prefix, check type and counts."""
    return json.loads(_text("tasks.json"))
