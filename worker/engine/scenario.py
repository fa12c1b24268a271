"""The scenario schema: one validated, versioned, JSON-serializable config for form, API, CLI and worker.

Every field has a default, an allowed range and a one-line explanation (its `description`),
which the web form shows as-is. The schema is flat so a scenario fits in a URL query string,
a `--set field=value` and a sweep grid alike. This module is torch-free: the web app imports it.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .world import TASKS

SCHEMA_VERSION = 1
# Bumped whenever the engine's results change for the same scenario (the base, the probes, the
# evaluation schedule), so a cached run from an older engine never stands in for a new one.
ENGINE_VERSION = 3
MAX_STEPS = 3000  # bounds the work of one run: about a minute on 2 CPU cores
LORA_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")

TaskName = Literal[tuple(TASKS)]  # type: ignore[valid-type]
LoraModule = Literal[LORA_MODULES]  # type: ignore[valid-type]


def _field(default: Any, description: str, group: str, **limits: Any) -> Any:
    return Field(default, description=description, json_schema_extra={"group": group}, **limits)


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = _field(1, "Schema version of this scenario.", "run")
    # What to fine-tune on, and how hard.
    task: TaskName = _field("support-narrow", "The fine-tuning target task (see `forgetlab world`).", "data")
    task_examples: int = _field(1000, "Size of the task training set (narrow tasks repeat inputs).", "data",
                                ge=50, le=5000)
    epochs: int = _field(3, "Passes over the task examples; more passes, more forgetting.", "training", ge=1, le=20)
    lr: float = _field(1e-3, "Peak learning rate; large steps overwrite more of the base.", "training",
                       ge=1e-6, le=1e-1)
    batch_size: int = _field(32, "Examples per optimizer step (task and general together).", "training",
                             ge=4, le=128)
    schedule: Literal["constant", "linear", "cosine"] = _field(
        "constant", "How the learning rate moves after warmup.", "training")
    warmup_steps: int = _field(0, "Steps of linear learning-rate warmup from zero.", "training", ge=0, le=500)
    seed: int = _field(0, "Random seed: the same scenario and seed give the same curves.", "run",
                       ge=0, le=2**31 - 1)
    # Parameter-efficient fine-tuning.
    method: Literal["full", "lora"] = _field(
        "full", "Update every weight (full) or train small low-rank adapters on a frozen base (lora).", "method")
    # Rank 2 of a 64-wide model is already 1/32 of full rank (r=8 of a 4096-wide LLM is 1/512).
    lora_rank: int = _field(2, "LoRA adapter rank: capacity of the update.", "method", ge=1, le=64)
    lora_alpha: int = _field(4, "LoRA scaling numerator (the update is scaled by alpha / rank).", "method",
                             ge=1, le=256)
    lora_targets: list[LoraModule] = _field(  # type: ignore[valid-type]
        list(LORA_MODULES), "Which projection layers get adapters (all linear layers by default).", "method",
        min_length=1)
    lora_dropout: float = _field(0.0, "Dropout on the adapter input during training.", "method", ge=0.0, le=0.5)
    # Mitigations.
    mix_ratio: float = _field(0.0, "Share of each batch drawn fresh from general data (the article's 20-30%).",
                              "mitigations", ge=0.0, le=0.9)
    replay_ratio: float = _field(0.0, "Share of each batch replayed from a fixed buffer of general examples.",
                                 "mitigations", ge=0.0, le=0.9)
    replay_buffer: int = _field(200, "Size of the replay buffer (general examples kept from before).",
                                "mitigations", ge=10, le=5000)
    safety_mix: float = _field(0.0, "Share of each batch drawn from refusal/safety examples.", "mitigations",
                               ge=0.0, le=0.5)
    ewc_lambda: float = _field(0.0, "Elastic Weight Consolidation strength; 0 turns it off.", "mitigations",
                               ge=0.0, le=1e6)
    ewc_samples: int = _field(256, "General examples used to estimate the diagonal Fisher, once, on the base.",
                              "mitigations", ge=16, le=4096)
    kl_weight: float = _field(0.0, "Distillation to the base's outputs on general prompts (LwF); 0 is off.",
                              "mitigations", ge=0.0, le=100.0)
    l2sp_weight: float = _field(0.0, "Pull toward the base weights (L2-SP); 0 is off.", "mitigations",
                                ge=0.0, le=1e4)
    early_stopping: bool = _field(False, "Stop when the task's validation loss stops improving.", "mitigations")
    patience: int = _field(3, "Evaluations without improvement before early stopping.", "mitigations", ge=1, le=50)
    min_delta: float = _field(0.0, "Smallest validation-loss drop that counts as improvement.", "mitigations",
                              ge=0.0, le=1.0)
    # Measurement.
    eval_every: int = _field(40, "Steps between evaluation points on the curves (plus one at step 5).", "run",
                             ge=1, le=1000)
    wise_ft: bool = _field(False, "After training, evaluate weight interpolations base to fine-tuned (WiSE-FT).",
                           "run")

    @model_validator(mode="after")
    def _check_totals(self) -> "Scenario":
        if self.mix_ratio + self.replay_ratio + self.safety_mix > 0.9:
            raise ValueError("mix_ratio + replay_ratio + safety_mix must be at most 0.9, so each batch keeps "
                             "some task data")
        if self.task_slots < 1:
            raise ValueError("batch_size is too small for the mix ratios: no task example would fit in a batch")
        if self.total_steps > MAX_STEPS:
            raise ValueError(f"this scenario needs {self.total_steps} steps, over the limit of {MAX_STEPS}; "
                             "lower epochs or task_examples, or raise batch_size")
        return self

    @property
    def task_slots(self) -> int:
        """Task examples per batch; the rest of the batch goes to general, replay and safety data."""
        other = round(self.batch_size * self.mix_ratio) + round(self.batch_size * self.replay_ratio) + round(
            self.batch_size * self.safety_mix)
        return self.batch_size - other

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.task_examples / max(1, self.task_slots))

    @property
    def total_steps(self) -> int:
        return self.steps_per_epoch * self.epochs

    def canonical_hash(self) -> str:
        """Stable across field order and formatting: same config, seed and engine, same hash, same result."""
        blob = json.dumps({"engine": ENGINE_VERSION, **self.model_dump(mode="json")}, sort_keys=True,
                          separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


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


def allowed(name: str) -> str:
    h = field_help(name)
    if "ge" in h and "le" in h:
        return f"allowed: {h['ge']:g} to {h['le']:g}"
    annotation = Scenario.model_fields[name].annotation
    choices = getattr(annotation, "__args__", None)
    if choices and all(isinstance(c, (str, int)) for c in choices):
        return "allowed: " + ", ".join(map(str, choices))
    return ""


def parse(data: dict) -> Scenario:
    """Validate a scenario dict; raise ScenarioError naming each bad field and its allowed range."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        errors: dict[str, str] = {}
        for err in e.errors():
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
    if name == "lora_targets":
        return [t for t in text.replace(",", " ").split() if t]
    return text  # pydantic coerces numeric strings in lax mode
