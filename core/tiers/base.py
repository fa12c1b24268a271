"""What a tier is: a base model plus everything a world needs around it.

A tier brings its base model (a reference: where it lives, a revision and a checksum), its
capability suites (probe data; the scorer is the engine's exact match, or the tier's own), its
tasks, and its general data (the pools that mixing, replay, EWC and KL draw from). The engine
reads data only through a tier, so the synthetic world and a real model are two tiers of one
loop. Torch-free: the web lists tiers, their capabilities and tasks, and hashes their model refs.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from ..probes import Probe, Suite

Pairs = list[tuple[str, str]]  # (prompt, answer)
DATASET_PREFIX = "data:"  # a task named "data:<id>" is a dataset the user brought (core/datasets.py)


def is_dataset_task(task: str) -> bool:
    return task.startswith(DATASET_PREFIX)


@dataclass(frozen=True)
class ModelRef:
    """The base model a tier fine-tunes. Its revision and checksum are part of every run's cache key."""

    path: Path  # a local Hugging Face causal-LM directory
    revision: str  # for people: what this model is
    checksum: str  # sha256 of the weights ("" when they are not installed)
    gguf: Path | None = None  # the GGUF the engine converts into `path` on first use, if any
    install_hint: str = ""  # what to run when it is not installed (its tier's `install_hint`)


@dataclass(frozen=True)
class TaskInfo:
    name: str
    description: str
    distance: str  # how far from what the base already does, in words
    template: str | None = None  # first answer word of a fixed reply template (format rigidity watches it)


@dataclass(frozen=True)
class CapabilityInfo:
    name: str
    description: str


@dataclass(eq=False)  # compared and hashed by identity: one instance per tier
class Tier:
    """A world to fine-tune in. Subclasses fill in the data methods; every list is deterministic in its seed."""

    name: str
    title: str
    description: str
    # How the engine treats this tier's model and suites (class attributes; subclasses override them).
    chat: ClassVar[bool] = False  # prompts go through the model's chat template
    max_seq_len: ClassVar[int] = 64  # longest training example, in tokens
    run_probes: ClassVar[int | None] = 24  # probes per capability at the points between the first and the last
    final_probes: ClassVar[int | None] = None  # at the first and last points (None: every probe)
    generation_tokens: ClassVar[int] = 16  # judged suites: most new tokens of a generated answer
    base_seeds: ClassVar[int] = 1  # how many bases the tier ships, each pretrained from its own seed
    # Transformer blocks in the tier's base where its config cannot be read yet (SmolLM2 before its GGUF is
    # converted); see blocks(). None: unknown until the model loads.
    base_blocks: ClassVar[int | None] = None
    # What to run when the base is not installed; a missing base's error quotes it ("": nothing to install).
    install_hint: ClassVar[str] = ""
    # The capabilities whose probes are grouped "harmful" and "benign": refusal and over-refusal rates are
    # measured on them (worker/engine/evaluate.py).
    refusal_capabilities: ClassVar[tuple[str, ...]] = ()
    # The task a scenario of this tier gets when it names none (core/presets.py's scenario_from); every tier
    # sets it, to one of its tasks.
    default_task: ClassVar[str]
    # A model too small for a second CPU thread to help: one thread per run, whatever the cores
    # (worker/threads.py); otherwise a run on the CPU gets its share of the usable cores.
    one_cpu_thread: ClassVar[bool] = False
    # Whether this tier's LoRA runs train as a group on the CPU (core/grouping.py; on a GPU they always may).
    groups_on_cpu: ClassVar[bool] = True
    capabilities: dict[str, CapabilityInfo] = field(default_factory=dict)
    tasks: dict[str, TaskInfo] = field(default_factory=dict)
    model_override: ModelRef | None = None
    # Tasks the user brought: name -> {"train", "validation", "probe"} pairs (see with_dataset).
    datasets: dict[str, dict[str, Pairs]] = field(default_factory=dict)
    # Engineers' own capability suites (core/suites.py): name -> probes (see with_suites).
    user_suites: dict[str, list[Probe]] = field(default_factory=dict)

    def model(self) -> ModelRef:
        """The base model runs of this tier fine-tune: the tier's own, or the one `with_model` gave it."""
        return self.model_override or self.base_model()

    def base_model(self) -> ModelRef:
        raise NotImplementedError

    def for_base(self, seed: int) -> "Tier":
        """This tier around its base pretrained from `seed` (a scenario's `base_seed`; 0 is the default
        base). A tier whose base was replaced (`with_model`) keeps it: the user's model is the base."""
        if seed == 0 or self.model_override is not None:
            return self
        if not 0 <= seed < self.base_seeds:
            raise ValueError(f"tier {self.name} ships {self.base_seeds} base(s); no base seed {seed}")
        return _with_base(self, seed)

    def with_model(self, path: str | Path) -> "Tier":
        """This tier's data and suites around another base: a local Hugging Face causal-LM directory."""
        tier = copy.copy(self)
        tier.model_override = ModelRef(Path(path), f"local model {Path(path).name}", weights_checksum(Path(path)))
        return tier

    def with_dataset(self, task: str, splits: dict[str, Pairs]) -> "Tier":
        """This tier with one more task: a user's dataset, already split into train, validation and probe.
        The worker reads the dataset from the store and hands it over here; the engine never reads a DB."""
        tier = copy.copy(self)
        tier.datasets = {**self.datasets, task: splits}
        tier.tasks = {**self.tasks, task: TaskInfo(task, f"your dataset {task.removeprefix(DATASET_PREFIX)}",
                                                   "your own data")}
        return tier

    def blocks(self) -> int | None:
        """Transformer blocks in this tier's base (a scenario's freeze_layers is checked against it): its
        config.json's count, else `base_blocks`; None where neither is known (the engine checks at load)."""
        return _config_blocks(self.model().path) or self.base_blocks

    def with_suites(self, suites: dict[str, list[Probe]]) -> "Tier":
        """This tier with more capabilities: an engineer's own suites (name -> probes), measured beside its own.
        Only tiers whose probe_suite adds them (chat tiers: core/suites.py's `accepts`) take them."""
        tier = copy.copy(self)
        tier.user_suites = {**self.user_suites, **suites}
        tier.capabilities = {**self.capabilities, **{name: CapabilityInfo(name, f"your suite {name}")
                                                     for name in suites}}
        return tier

    def words(self) -> frozenset[str] | None:
        """The words this tier's tokenizer can spell, when it is word-level (text split on whitespace, each
        piece a known word): data in other words cannot be trained on. None: it spells any text (subwords)."""
        return None

    def probe_suite(self) -> Suite:
        """Every capability's and task's held-out probes."""
        raise NotImplementedError

    def task_examples(self, task: str, n: int, seed: int) -> Pairs:
        """n training pairs of a task, never a probe."""
        if task in self.datasets:
            return draw(self.datasets[task]["train"], n, seed)
        return self.own_task_examples(task, n, seed)

    def validation_examples(self, task: str, n: int, seed: int) -> Pairs:
        """n pairs early stopping watches, never a probe."""
        if task in self.datasets:
            return draw(self.datasets[task]["validation"], n, seed)
        return self.own_validation_examples(task, n, seed)

    def own_task_examples(self, task: str, n: int, seed: int) -> Pairs:
        raise NotImplementedError

    def own_validation_examples(self, task: str, n: int, seed: int) -> Pairs:
        raise NotImplementedError

    def dataset_probes(self, task: str) -> list:
        """A user dataset's probe split as probes of this tier's kind (see Probe)."""
        return [Probe(prompt, answer, task, "task") for prompt, answer in self.datasets[task]["probe"]]

    def general_examples(self, n: int, seed: int) -> Pairs:
        """n general-data pairs: the pool of mixing, replay, EWC's Fisher and KL."""
        raise NotImplementedError

    def safety_examples(self, n: int, seed: int) -> Pairs:
        """n refusal/compliance pairs for the safety mix."""
        raise NotImplementedError

    def rehearsal_prompts(self, n: int, seed: int) -> list[str]:
        """n general prompts the base answers itself before fine-tuning (self-rehearsal)."""
        return [prompt for prompt, _ in self.general_examples(n, seed)]

    def describe(self) -> dict:
        """The tier as `forgetlab tiers --json` and GET /api/tiers show it."""
        ref = self.model()
        return {"name": self.name, "title": self.title, "description": self.description,
                "model": {"revision": ref.revision, "checksum": ref.checksum, "installed": bool(ref.checksum)},
                "capabilities": [{"name": c.name, "description": c.description} for c in self.capabilities.values()],
                "tasks": [{"name": t.name, "description": t.description, "distance": t.distance}
                          for t in self.tasks.values()]}


@functools.cache  # one tier object per (tier, base seed): the engine caches its base view per tier object
def _with_base(tier: Tier, seed: int) -> Tier:
    other = copy.copy(tier)
    other.model_override = tier.base_model(seed)  # type: ignore[call-arg]
    return other


_BLOCKS: dict[Path, int] = {}  # a model directory's config, once read, does not change under a running process


def _config_blocks(path: Path) -> int | None:
    """num_hidden_layers of a model directory's config.json; None while it has none (read again next time:
    SmolLM2's appears when its GGUF is converted)."""
    if path not in _BLOCKS:
        try:
            _BLOCKS[path] = int(json.loads((path / "config.json").read_text())["num_hidden_layers"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
    return _BLOCKS[path]


def weights_checksum(path: Path) -> str:
    """sha256 over a model directory's weight files, in name order ("" if it has none)."""
    digest, found = hashlib.sha256(), False
    for file in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")) if path.is_dir() else []:
        found = True
        with open(file, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest() if found else ""


def draw(pool: Pairs, n: int, seed: int) -> Pairs:
    """n pairs from a finite pool: a seeded shuffle, repeated in fresh orders when n is larger than the pool."""
    rng, out = random.Random(seed), []
    while len(out) < n:
        order = list(pool)
        rng.shuffle(order)
        out += order[: n - len(out)]
    return out
