"""The base model: a tiny Llama with a word-level HF tokenizer, and loading of any HF causal LM.

The same `load()` serves the shipped base, a rebuilt one and real HF checkpoints, so the rest
of the engine only ever sees (model, tokenizer).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedTokenizerFast,
)
from transformers.utils import logging as hf_logging

# Loading a 700 KB model needs no progress bar; it would only clutter CLI output and logs.
hf_logging.disable_progress_bar()

from forgetlab.core.tiers.synthetic import (
    BASE_DIR,  # the shipped checkpoint, the default of load()
)

SPECIALS = {"pad_token": "<pad>", "unk_token": "<unk>", "bos_token": "<bos>", "eos_token": "<eos>"}


class ModelLoadError(Exception):
    """A model path that cannot serve as a forgetlab model; the message is for the user."""


@dataclass(frozen=True)
class ModelSize:
    hidden_size: int = 64
    num_hidden_layers: int = 3
    num_attention_heads: int = 4
    intermediate_size: int = 192
    max_position_embeddings: int = 32


def build_tokenizer(vocab: list[str]) -> PreTrainedTokenizerFast:
    """A real HF tokenizer over the world's words: WordLevel split on whitespace."""
    words = list(SPECIALS.values()) + vocab
    core = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token=SPECIALS["unk_token"]))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=core, **SPECIALS)


def build_model(tokenizer: PreTrainedTokenizerFast, size: ModelSize, seed: int) -> LlamaForCausalLM:
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer), **asdict(size), num_key_value_heads=size.num_attention_heads,
        tie_word_embeddings=True, pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, attn_implementation="eager",
    )
    return LlamaForCausalLM(config)


def load(path: str | Path | None = None):
    """(model, tokenizer) from a directory written by save_pretrained; the shipped base by default."""
    path = Path(path) if path else BASE_DIR
    if not path.exists():
        raise ModelLoadError(f"no model at {path}")
    if not (path / "config.json").is_file():
        raise ModelLoadError(f"{path} is not a model directory (no config.json)")
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as e:
        first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelLoadError(f"{path} is not a causal language model: {first_line}") from None
    # Training and teacher-forced evaluation never reuse keys and values; without this each
    # forward builds a KV cache it throws away. generate() still turns the cache on for itself.
    model.config.use_cache = False
    model.eval()
    return model, tokenizer


def load_model(ref):
    """(model, tokenizer) of a tier's base (a core.tiers.ModelRef): a GGUF is converted on first use."""
    if ref.gguf is not None:
        from .gguf_base import convert_locked

        convert_locked(ref.gguf, ref.path)
    elif not ref.checksum and not Path(ref.path).exists():
        how = f": {ref.install_hint}" if ref.install_hint else f" ({ref.path} does not exist)"
        raise ModelLoadError(f"the base model ({ref.revision}) is not installed{how}")
    return load(ref.path)


def save(model, tokenizer, path: str | Path) -> None:
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)


def parameter_count(model) -> int:
    return sum(p.numel() for p in model.parameters())
