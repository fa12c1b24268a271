"""Pretraining recipe for the shipped base model: the general mix until every capability is learnt.

`forgetlab pretrain` runs this; the shipped checkpoint in core/tiers/synthetic/base/ records the recipe, its
seed and a checksum of the weights, and a test checks that file against the recipe's quality bar.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from forgetlab.core.tiers.synthetic import SyntheticTier, world

from .encoding import IGNORE, encode, trim
from .evaluate import EncodedSuite, evaluate
from .model import ModelSize, build_model, build_tokenizer, parameter_count, save


@dataclass(frozen=True)
class Recipe:
    seed: int = 0
    size: ModelSize = field(default_factory=ModelSize)
    steps: int = 1200  # the capabilities plateau by ~1,000 steps; shorter is cheaper
    batch_size: int = 128
    lr: float = 3e-3
    min_lr: float = 1e-4
    warmup: int = 200
    weight_decay: float = 0.01
    pool: int = 60_000  # distinct training examples drawn from the general mix
    # Label smoothing keeps the base's margins finite (a real LLM is not 1e-4 nats sure of every answer):
    # without it the base ends with answer NLLs near 1e-4 and accuracy moves only once margins collapse.
    label_smoothing: float = 0.1
    # Quality bar: the base must know every general capability well (not perfectly: rare facts and long
    # lists are graded) and no task yet.
    min_capability: float = 0.80
    max_task: float = 0.05
    eval_every: int = 200  # progress reports only: evaluation touches neither the weights nor the random streams


def lr_at(step: int, recipe: Recipe) -> float:
    if step < recipe.warmup:
        return recipe.lr * (step + 1) / recipe.warmup
    progress = (step - recipe.warmup) / max(1, recipe.steps - recipe.warmup)
    return recipe.min_lr + 0.5 * (recipe.lr - recipe.min_lr) * (1 + math.cos(math.pi * progress))


def meets_bar(result: dict, recipe: Recipe) -> bool:
    return (all(v["accuracy"] >= recipe.min_capability for v in result["capabilities"].values())
            and all(v["accuracy"] <= recipe.max_task for v in result["tasks"].values()))


def pretrain(recipe: Recipe, on_progress: Callable[[int, float, dict | None], None] | None = None):
    """Train the base from scratch on one torch thread (the same recipe gives the same weights whatever the
    machine's core count); returns (model, tokenizer, report)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _pretrain(recipe, on_progress)
    finally:
        torch.set_num_threads(threads)


def _pretrain(recipe: Recipe, on_progress: Callable[[int, float, dict | None], None] | None = None):
    started = time.perf_counter()
    torch.manual_seed(recipe.seed)
    tokenizer = build_tokenizer(world.vocabulary())
    model = build_model(tokenizer, recipe.size, recipe.seed)
    data = encode(tokenizer, world.general_examples(recipe.pool, recipe.seed))
    encoded = EncodedSuite.build(world.probe_suite(), tokenizer,
                                 refusal_capabilities=SyntheticTier.refusal_capabilities)
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    generator = torch.Generator().manual_seed(recipe.seed)
    model.train()
    result = None
    for step in range(recipe.steps):
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, recipe)
        batch = trim(data.take(torch.randint(len(data), (recipe.batch_size,), generator=generator)))
        logits = model(input_ids=batch.input_ids).logits[:, :-1]
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch.labels[:, 1:].reshape(-1),
                               ignore_index=IGNORE, label_smoothing=recipe.label_smoothing)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        last = step == recipe.steps - 1
        result = evaluate(model, encoded) if last or (step + 1) % recipe.eval_every == 0 else None
        if on_progress:
            on_progress(step + 1, loss.item(), result)
    model.eval()
    report = {
        "recipe": asdict(recipe),
        "parameters": parameter_count(model),
        "seconds": round(time.perf_counter() - started, 1),
        "eval": result,
        "meets_bar": meets_bar(result, recipe),
    }
    return model, tokenizer, report


def weights_checksum(path: Path) -> str:
    return hashlib.sha256((path / "model.safetensors").read_bytes()).hexdigest()


def save_base(model, tokenizer, report: dict, path: Path) -> None:
    """Write the checkpoint plus recipe.json: recipe, seed, quality reached and sha256 of the weights."""
    save(model, tokenizer, path)
    report = dict(report, sha256=weights_checksum(path))
    (path / "recipe.json").write_text(json.dumps(report, indent=2) + "\n")
