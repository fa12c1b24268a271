"""Saving a run's fine-tuned model, so it can be gated (worker/engine/gate.py) or deployed.

Two kinds, told apart by the files themselves, as peft and transformers write them:

- adapter: a LoRA run saves its adapters only (peft's `save_pretrained`: adapter_config.json and
  adapter_model.safetensors, kilobytes to a few MB). The base is not copied: it is the run's tier
  base, named and checksummed in the manifest, and whoever loads the adapter supplies it.
- full: a full fine-tune saves every weight (model.safetensors), its config and the tokenizer: an
  ordinary Hugging Face directory that `forgetlab eval --model`, `run --model` or any HF code loads.

Beside them, MANIFEST (forgetlab-artifact.json, core/artifacts.py) says what the directory is:

    {"format": 1, "kind": "adapter" | "full", "run_id": the lab's run it was saved for (absent from the CLI's),
     "base": {"tier": ..., "revision": ..., "checksum": the tier's model checksum (a run's cache key),
              "weights_sha256": sha256 of the base's safetensors (what the gate verifies an adapter against)},
     "scenario_hash": Scenario.canonical_hash(), "scenario": {...every field...},
     "engine_version": ..., "created": ISO time}

Saving is atomic (a temp directory beside the target, renamed into place), so a crash never leaves
a half-written model that would later load, and an earlier artifact at the same path is replaced
whole: a stale adapter_config.json left beside new full weights would make it read as an adapter.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from forgetlab.core.artifacts import MANIFEST, read_manifest
from forgetlab.core.scenario import ENGINE_VERSION, Scenario
from forgetlab.core.tiers import Tier
from forgetlab.core.tiers.base import weights_checksum

from .staging import staged_dir

ADAPTER_CONFIG = "adapter_config.json"  # peft's name; its presence makes a directory an adapter
FORMAT = 1


class ArtifactError(Exception):
    """A directory that cannot take or give an artifact; the message is for the user."""


def is_adapter_model(model) -> bool:
    """A peft-wrapped model (a LoRA run's), as opposed to a plain transformers one."""
    return hasattr(model, "peft_config")


def is_adapter_dir(path: str | Path) -> bool:
    return (Path(path) / ADAPTER_CONFIG).is_file()


def weights_sha256(model_dir: str | Path) -> str:
    """sha256 of a model directory's weights: recorded by the GGUF conversion where there is one (so a
    540 MB SmolLM2 is not re-hashed), else hashed (the synthetic base: instant)."""
    try:
        recorded = json.loads((Path(model_dir) / "forgetlab-model.json").read_text())["safetensors_sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return weights_checksum(Path(model_dir))
    return recorded


def check_target(out_dir: str | Path) -> Path:
    """Where a run may be saved: a new or empty directory, or an earlier artifact (replaced whole).
    Called before training, so a bad --save fails in a second, not after the run."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ArtifactError(f"{out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and read_manifest(out) is None:
        raise ArtifactError(f"{out} is not empty and holds no saved run ({MANIFEST}); "
                            "choose a new directory, so nothing of yours is overwritten")
    if not out.parent.is_dir():
        raise ArtifactError(f"{out.parent} does not exist")
    return out


def save_artifact(model, tokenizer, out_dir: str | Path, *, tier: Tier | None = None,
                  scenario: Scenario | None = None, run_id: int | None = None) -> dict:
    """Save a fine-tuned model (adapter only for a LoRA run, else full weights and tokenizer) with its
    manifest; returns the manifest. `run_id`: the lab's run it is saved for (the web serves it only as that run's)."""
    out = check_target(out_dir)
    kind = "adapter" if is_adapter_model(model) else "full"
    manifest: dict = {"format": FORMAT, "kind": kind, "base": None, "scenario_hash": None, "scenario": None,
                      "engine_version": ENGINE_VERSION,
                      "created": datetime.now(UTC).isoformat(timespec="seconds")}
    if tier is not None:
        ref = tier.model()
        manifest["base"] = {"tier": tier.name, "revision": ref.revision, "checksum": ref.checksum,
                            "weights_sha256": weights_sha256(ref.path)}
    if run_id is not None:
        manifest["run_id"] = run_id
    if scenario is not None:
        manifest["scenario_hash"] = scenario.canonical_hash()
        manifest["scenario"] = scenario.model_dump(mode="json")
    with staged_dir(out) as tmp:
        # peft saves only the adapter weights of a PeftModel; transformers saves safetensors by default.
        model.save_pretrained(tmp)
        if kind == "full":
            tokenizer.save_pretrained(tmp)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")  # last: a manifest means complete
    return manifest


def save_run(model, scenario: Scenario, tier: Tier, out_dir: str | Path, run_id: int | None = None) -> dict:
    """save_artifact() for `forgetlab run --save` and the lab's runs (`run_id`): the tokenizer is the tier
    base's (a run never changes it)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tier.model().path)
    return save_artifact(model, tokenizer, out_dir, tier=tier, scenario=scenario, run_id=run_id)


def size_text(path: str | Path) -> str:
    """A saved directory's size for people: "36 KB", "0.7 MB"."""
    size = sum(f.stat().st_size for f in Path(path).iterdir() if f.is_file())
    return f"{size / 1e3:.0f} KB" if size < 1e6 else f"{size / 1e6:.1f} MB"
