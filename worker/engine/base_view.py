"""The base model a run fine-tunes, and everything measured on it before the first update (`BaseView`).

Read-only and cached per process (`base_view`), so a warm worker loads and measures a base once, not
per run; the step-0 measurements of judged suites are also kept on disk (`cached_level`), and so is a run's
step-0 validation loss, the base's on that run's validation examples (`cached_validation_loss`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass
from typing import Callable

import torch

from forgetlab.core.scenario import ENGINE_VERSION
from forgetlab.core.settings import get_settings
from forgetlab.core.tiers import Tier

from .evaluate import EncodedSuite, evaluate, sample_probes, samples
from .model import load_model
from .runtime import Runtime


@dataclass(frozen=True)
class BaseView:
    """The base model and what every run measures on it before the first update. Read-only:
    a run trains a copy. Cached per process, so a warm worker pays for it once, not per run."""

    model: torch.nn.Module
    tokenizer: object
    full: EncodedSuite  # the first `tier.final_probes` (synthetic: every probe) of each capability and the task
    run: EncodedSuite  # the first `tier.run_probes` of each: the points between the first and the last
    probes: list  # the fixed sample probes
    outputs: list  # the base's greedy answers to them
    level: dict  # evaluate() on `full`: the curves' step-0 point, less the validation loss


@functools.lru_cache(maxsize=8)
def base_view(tier: Tier, task: str, runtime: Runtime | str = "cpu") -> BaseView:
    """The tier's base on the runtime's device (or a device's name: float32 there), its suites encoded, and its
    step-0 measurements, for one task, measured under the runtime's evaluation autocast (a run passes
    `Runtime.for_base_level`)."""
    runtime = Runtime(runtime) if isinstance(runtime, str) else runtime
    device = runtime.device
    model, tokenizer = load_model(tier.model())
    model.to(device)
    suite = tier.probe_suite().select(list(tier.capabilities) + [task])
    if tier.final_probes is not None:
        suite = suite.head(tier.final_probes)
    refusal = tier.refusal_capabilities
    full = EncodedSuite.build(suite, tokenizer, device, tier.generation_tokens, refusal_capabilities=refusal)
    run = EncodedSuite.build(suite.head(tier.run_probes), tokenizer, device, tier.generation_tokens,
                             refusal_capabilities=refusal)
    probes = sample_probes(run.suite, per_name=1)
    with runtime.autocast():
        level = cached_level(tier, full, device, lambda: evaluate(model, full), runtime.evaluation_precision)
        base_samples = samples(model, tokenizer, probes, judge=suite.judge, generated=level.get("outputs"))
    return BaseView(model, tokenizer, full, run, probes, base_samples, level)


def cached_level(tier: Tier, full: EncodedSuite, device: str, measure_base: Callable[[], dict],
                 precision: str = "float32") -> dict:
    """The base's step-0 measurements. Judged suites cost a minute of generation on a CPU, so they are
    kept on disk, keyed by everything they depend on: the model's checksum, the probes, the device,
    the precision evaluation ran in (a bf16 level is never read for a float32 run, nor the reverse), the
    engine version. Exact-match suites take a tenth of a second and are measured every time."""
    probes = [(p.prompt, p.answer, p.capability, p.group, p.check) for p in full.suite.probes]
    # A level kept before the task's per-probe results were (the held-out split's) is measured again.
    return _kept(tier, full, device, precision, [full.budgets, probes], measure_base,
                 lambda level: "task_items" in level or not level.get("tasks"))


def cached_validation_loss(tier: Tier, full: EncodedSuite, pairs: list[tuple[str, str]], device: str,
                           measure: Callable[[], float], precision: str = "float32") -> float:
    """A run's step-0 validation loss: the base's, on the run's validation examples (a copy of the base, or
    zero-initialised adapters on it, computes exactly the base's). Kept on disk where cached_level() keeps the
    base's level (a real model's 32 validation examples took 7-14 s on 2 CPU cores), keyed also by the examples
    themselves (a run's task and seed choose them)."""
    return _kept(tier, full, device, precision, ["validation", pairs], measure, lambda loss: isinstance(loss, float))


def _kept(tier: Tier, full: EncodedSuite, device: str, precision: str, keyed: list, measure: Callable,
          valid: Callable[[object], bool]):
    """`measure()`, kept in the data directory's cache for judged suites of a model with a checksum (else
    measured every time), under a hash of the engine version, tier, checksum, device, `keyed` and the precision
    (but for float32, whose key is the one it always had, so its kept values stay valid); read back while
    `valid`."""
    checksum = tier.model().checksum
    if full.suite.judge is None or not checksum:
        return measure()
    keyed = [ENGINE_VERSION, tier.name, checksum, device, *keyed] + ([precision] if precision != "float32" else [])
    key = hashlib.sha256(json.dumps(keyed, sort_keys=True).encode()).hexdigest()[:24]
    path = get_settings().data_dir / "cache" / f"base-{tier.name}-{key}.json"
    try:
        value = json.loads(path.read_text())
        if valid(value):
            return value
    except (OSError, ValueError):
        pass
    value = measure()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(value))
    os.replace(tmp, path)  # atomic: two workers measuring at once both write a whole file
    return value
