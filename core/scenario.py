"""The scenario schema: one validated, versioned, JSON-serializable config for form, API, CLI and worker.

Every field has a default, an allowed range and a one-line explanation (its `description`),
which the web form shows as-is. The schema is flat so a scenario fits in a URL query string,
a `--set field=value` and a sweep grid alike. The tier (which world and base model) comes first,
and the task must be one of that tier's. Each mitigation declares its own fields
(core/mitigations/), and the schema is assembled from them. Torch-free: the web app imports it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
import typing
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from . import mitigations, suites
from .fields import field
from .tiers import DEFAULT_TIER, all_tiers, get_tier
from .tiers.base import DATASET_PREFIX, is_dataset_task

SCHEMA_VERSION = 1
# Bumped whenever the engine's results change for the same scenario (the base, the probes, the
# evaluation schedule), so a cached run from an older engine never stands in for a new one.
# 5: the graded world (graded capabilities, order numbers, hashed train/validation/probe splits), three
# shipped bases (`base_seed`), early stopping on its own cadence restoring the best weights, WiSE-FT's finer grid.
# 6: a long tail in every capability (rare command, operation, style and safety objects) and bases pretrained
# on it, off the ceiling (docs/protocols/world-room.md); SmolLM2's general pool shares nothing with its suites,
# its checkers judge by stated rules, its generation budgets fit its references, and judged levels carry the
# answer NLL split (cached base levels are re-measured).
# 7: SmolLM2's suites grew (knowledge as multiple choice scored by likelihood, instructions judged by IFEval's
# verifiers, larger reasoning and format suites). The synthetic tier computes exactly what it did at 6: its stored
# preset runs carry over, and tests/worker/test_preset_outcomes.py re-runs one unit of each to check it.
# 8: SmolLM2's safety suite grew to over 100 harmful requests and 100 benign look-alikes, its format suite gained
# fixed templates and its reasoning suite one-digit sums. The synthetic tier computes exactly what it did at 7:
# its stored preset runs carry over, and tests/worker/test_preset_outcomes.py re-runs one unit of each to check it.
ENGINE_VERSION = 8
MAX_STEPS = 3000  # bounds the work of one run: about a minute on 2 CPU cores
LORA_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")

LoraModule = Literal[LORA_MODULES]  # type: ignore[valid-type]
_DATASET_ID = re.compile(r"[0-9a-f]{16}")


class _ScenarioBase(BaseModel):
    """The fields every scenario has; mitigations' and measurement fields are added below."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = field(1, "Schema version of this scenario.", "run")
    # Which world, and what to fine-tune on in it, and how hard.
    tier: str = field(DEFAULT_TIER, "The world and base model to fine-tune (see `forgetlab tiers`).", "data")
    task: str = field("support-narrow", "The fine-tuning target task, one of the tier's (see `forgetlab tiers`).",
                      "data")
    suites: list[str] = field(
        [], "Your own capability suites to measure beside the tier's, by id (upload them first; chat tiers only).",
        "data", label="Your suites", max_length=suites.MAX_PER_RUN)
    task_examples: int = field(1000, "Size of the task training set (narrow tasks repeat inputs).", "data",
                               label="Task examples", ge=50, le=5000)
    epochs: int = field(3, "Passes over the task examples; more passes, more forgetting.", "training", ge=1, le=20)
    lr: float = field(1e-3, "Peak learning rate; large steps overwrite more of the base.", "training",
                      label="Learning rate", ge=1e-6, le=1e-1)
    batch_size: int = field(32, "Examples per optimizer step (task and general together).", "training",
                            label="Batch size", ge=4, le=128)
    schedule: Literal["constant", "linear", "cosine"] = field(
        "constant", "How the learning rate moves after warmup.", "training")
    warmup_steps: int = field(0, "Steps of linear learning-rate warmup from zero.", "training",
                              label="Warmup steps", ge=0, le=500)
    seed: int = field(0, "Random seed: the same scenario and seed give the same curves.", "run",
                      ge=0, le=2**31 - 1)
    base_seed: int = field(0, "Which of the tier's pretrained bases to fine-tune (each pretrained from its own "
                              "seed; the synthetic tier ships three: 0, 1 and 2): the base is a random factor too.",
                           "run", ge=0, le=9)
    # Parameter-efficient fine-tuning.
    method: Literal["full", "lora"] = field(
        "full", "Update every weight (full) or train small low-rank adapters on a frozen base (lora).", "method")
    # Rank 2 of a 64-wide model is already 1/32 of full rank (r=8 of a 4096-wide LLM is 1/512).
    lora_rank: int = field(2, "LoRA adapter rank: capacity of the update.", "method", label="LoRA rank (r)",
                           ge=1, le=64)
    lora_alpha: int = field(4, "LoRA scaling numerator (the update is scaled by alpha / rank).", "method",
                            label="LoRA alpha (α)", ge=1, le=256)
    lora_targets: list[LoraModule] = field(  # type: ignore[valid-type]
        list(LORA_MODULES), "Which projection layers get adapters (all linear layers by default).", "method",
        label="LoRA target layers", min_length=1)
    lora_dropout: float = field(0.0, "Dropout on the adapter input during training.", "method",
                                label="LoRA dropout", ge=0.0, le=0.5)
    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_as_number(cls, value: Any, info: ValidationInfo) -> Any:
        """`"epochs": true` is not 1: a JSON boolean is refused wherever a number is expected.
        Numeric strings still pass, since forms and `--set` send text."""
        if isinstance(value, bool) and cls.model_fields[info.field_name].annotation in (int, float):
            raise ValueError("expected a number, not true or false")
        return value

    @field_validator("tier")
    @classmethod
    def _known_tier(cls, name: str) -> str:
        if name not in all_tiers():
            raise ValueError(f"unknown tier (allowed: {', '.join(all_tiers())})")
        return name

    @field_validator("base_seed")
    @classmethod
    def _base_of_tier(cls, seed: int, info: ValidationInfo) -> int:
        tier = info.data.get("tier")
        if tier is not None and seed >= get_tier(tier).base_seeds:
            raise ValueError(f"tier {tier} ships {get_tier(tier).base_seeds} base(s)")
        return seed

    @field_validator("task")
    @classmethod
    def _task_of_tier(cls, name: str, info: ValidationInfo) -> str:
        tier = info.data.get("tier")
        if is_dataset_task(name):  # a user's dataset: its existence is checked where it is stored
            if not _DATASET_ID.fullmatch(name.removeprefix(DATASET_PREFIX)):
                raise ValueError(f"a dataset task is {DATASET_PREFIX}<id of an uploaded dataset>")
            return name
        if tier is not None and name not in get_tier(tier).tasks:  # an unknown tier is reported on its own
            raise ValueError(f"not a task of tier {tier} (allowed: {', '.join(get_tier(tier).tasks)})")
        return name

    @field_validator("suites")
    @classmethod
    def _suites_of_tier(cls, ids: list[str], info: ValidationInfo) -> list[str]:
        """Their form and the tier; that each is stored and the user's is checked where they are stored."""
        bad = [i for i in ids if not suites.is_suite_id(i)]
        if bad:
            raise ValueError(f"a suite is the 16-character id of one you uploaded, not {bad[0]!r}")
        if len(set(ids)) != len(ids):
            raise ValueError("each suite once")
        tier = info.data.get("tier")
        if ids and tier is not None and not suites.accepts(get_tier(tier)):
            raise ValueError(suites.refusal_reason(get_tier(tier)))
        return ids

    @model_validator(mode="after")
    def _check_totals(self):
        shares = mitigations.batch_shares()
        if sum(getattr(self, share) for share in shares) > 0.9:
            raise ValueError(f"{' + '.join(shares)} must be at most 0.9, so each batch keeps some task data")
        for share in shares:  # a share that rounds to no row would silently train without its data
            if 0 < getattr(self, share) and round(self.batch_size * getattr(self, share)) == 0:
                raise ValueError(f"{share} {getattr(self, share):g} of a batch of {self.batch_size} is no example "
                                 f"at all; use more than {0.5 / self.batch_size:.3g} or a larger batch_size")
        if self.task_slots < 1:
            raise ValueError("batch_size is too small for the mix ratios: no task example would fit in a batch")
        if self.total_steps > MAX_STEPS:
            raise ValueError(f"this scenario needs {self.total_steps} steps, over the limit of {MAX_STEPS}; "
                             "lower epochs or task_examples, or raise batch_size")
        for mitigation in mitigations.MITIGATIONS.values():
            if reason := mitigation.check(self):
                # Reported under the mitigation's switch (its first field), which parse() names.
                raise PydanticCustomError("mitigation", "{reason}",
                                          {"reason": reason, "field": next(iter(mitigation.fields))})
        return self

    @property
    def task_slots(self) -> int:
        """Task examples per batch; the rest of the batch goes to general, replay and safety data."""
        other = sum(round(self.batch_size * getattr(self, share)) for share in mitigations.batch_shares())
        return self.batch_size - other

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.task_examples / max(1, self.task_slots))

    @property
    def total_steps(self) -> int:
        return self.steps_per_epoch * self.epochs

    def canonical_hash(self) -> str:
        """Stable across field order and formatting: same config, seed, base model and engine, same hash, same
        result. The base model enters by its checksum, so a re-pretrained base never reuses an old run.

        Fields at their defaults are left out, so a field added later (a new mitigation, off by default) keeps
        every earlier run's hash and cached result. The price: changing a field's default changes results
        under unchanged hashes, so it bumps ENGINE_VERSION (tests/core/test_scenario.py pins the defaults)."""
        model = get_tier(self.tier).for_base(self.base_seed).model()
        dump, defaults = self.model_dump(mode="json"), scenario_defaults()
        fields = {k: v for k, v in dump.items() if k not in defaults or v != defaults[k]}
        blob = json.dumps({"engine": ENGINE_VERSION, "model": [model.revision, model.checksum], **fields},
                          sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


_RUN_FIELDS = {
    "eval_every": (int, field(40, "Steps between evaluation points on the curves (plus one at step 5).", "run",
                              label="Evaluate every (steps)", ge=1, le=1000)),
    "wise_ft": (bool, field(False, "After training, evaluate weight interpolations base to fine-tuned (WiSE-FT).",
                            "run", label="WiSE-FT curve")),
}
# The schema in form order: the base fields, each mitigation's (registry order), then measurement.
Scenario = create_model("Scenario", __base__=_ScenarioBase, __module__=__name__,
                        **mitigations.schema_fields(), **_RUN_FIELDS)


@functools.cache
def scenario_defaults() -> dict:
    """Every field's default, as JSON (what canonical_hash leaves out)."""
    return Scenario().model_dump(mode="json")


class ScenarioError(ValueError):
    """Invalid scenario; `errors` maps each bad field to a message naming the allowed range."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def field_help(name: str) -> dict:
    """Explanation, default and range of one field, as the form and error messages show them."""
    info = Scenario.model_fields[name]
    limits = {k: getattr(m, k) for m in info.metadata for k in ("ge", "le", "min_length") if hasattr(m, k)}
    return {"description": info.description, "default": info.default, **limits}


def choices(name: str, tier: str = DEFAULT_TIER) -> tuple:
    """The values a field may take when it is a choice: a Literal's, the tiers, or the tier's tasks."""
    if name == "tier":
        return tuple(all_tiers())
    if name == "task":
        return tuple(get_tier(tier).tasks)
    annotation = Scenario.model_fields[name].annotation
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is list:  # a list of choices (lora_targets)
        args = typing.get_args(args[0])
    if typing.get_origin(annotation) in (Literal, list) and all(isinstance(c, (str, int)) for c in args):
        return args
    return ()


def allowed(name: str) -> str:
    h = field_help(name)
    if "ge" in h and "le" in h:
        def num(v):  # whole numbers in full (a seed's 2147483647, not 2.14748e+09)
            return f"{v:,}" if isinstance(v, int) and abs(v) >= 1e6 else f"{v:g}"
        return f"allowed: {num(h['ge'])} to {num(h['le'])}"
    options = choices(name)
    return "allowed: " + ", ".join(map(str, options)) if options else ""


def parse(data: dict) -> Scenario:
    """Validate a scenario dict; raise ScenarioError naming each bad field and its allowed range."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        errors: dict[str, str] = {}
        for err in e.errors():
            if err["type"] == "mitigation":  # a mitigation's check, against other fields: no range to quote
                errors[err["ctx"]["field"]] = err["msg"]
                continue
            name = str(err["loc"][0]) if err["loc"] else "scenario"
            if err["type"] == "extra_forbidden":
                errors[name] = "unknown field"
                continue
            message = err["msg"].removeprefix("Value error, ")
            hint = allowed(name) if name in Scenario.model_fields else ""
            errors[name] = f"{message} ({hint})" if hint else message
        raise ScenarioError(errors) from None


def with_overrides(base: Scenario | dict, overrides: dict) -> Scenario:
    data = base.model_dump() if isinstance(base, Scenario) else dict(base)
    return parse({**data, **overrides})


def coerce(name: str, text: str) -> Any:
    """Parse a `field=value` string (CLI --set, sweep grids, URL query) into the field's JSON type."""
    if name not in Scenario.model_fields:
        raise ScenarioError({name: "unknown field"})
    annotation = Scenario.model_fields[name].annotation
    if annotation is bool:
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ScenarioError({name: f"expected true or false, got {text!r}"})
    if name in ("lora_targets", "suites"):
        return [t for t in text.replace(",", " ").split() if t]
    return text  # pydantic coerces numeric strings in lax mode
