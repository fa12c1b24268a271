"""The capability regression gate: is a fine-tuned candidate as capable as its base? (`forgetlab gate`)

Production advice is to run a capability regression suite before deploying a fine-tuned model.
This module is that suite's engine: it scores a base and a candidate on *every* probe of a tier's
capabilities (or of the capabilities asked for), item by item, and hands the items to
core/gate.py, which computes the deltas, the paired bootstrap intervals and the verdicts.

Item by item (evaluate()'s per-probe items, the same a run stores), not means: the interval of a
delta is only honest when it knows which probes each model passed (paired resampling), and a CI log
is only useful when it names the probes that regressed. An item's pass is what the tier's suite defines: exact match (the synthetic
tier; teacher-forced argmax, which equals greedy decoding, see evaluate.py) or the tier's judge on
a greedy generation (SmolLM2). Its NLL is the mean per-token NLL of the reference answer.

A candidate is a full model directory or a LoRA adapter directory (peft's adapter_config.json):
an adapter is loaded onto a copy of the base it is gated against and merged, so the gate sees the
model that would be deployed. An adapter saved by `forgetlab run --save` names its base's
checksum; loading it onto another base is refused, since a mismatched merge measures nothing.

Both models are evaluated in float32 on one device (CUDA when there is one), never under
autocast: the comparison is paired, and both sides of a pair must be computed the same way.

The report (`--json OUT`) is a JSON object:

    {
      "schema": "forgetlab.gate/1",
      "tier": "synthetic",                      # whose suites
      "scoring": "exact-match" | "judged",
      "device": "cpu" | "cuda",
      "base": {"path": str, "label": str, "weights_sha256": str,
               "cached": bool},                 # its judged items read from an earlier gate (see cached_base)
      "candidate": {"path": str, "kind": "full" | "adapter", "artifact": {...} | null,
                    "same_base": bool | null},  # artifact: the run's manifest (worker/engine/artifacts.py);
                                                # same_base: was it fine-tuned from this base (null: unknown)
      "max_drop": 0.05, "max_nll_rise": float | null,   # null: NLL reported, not judged
      "level": 0.9, "resamples": 2000, "seed": 0,
      "passed": bool,                           # no capability fails; the exit code is 0 iff passed
      "failed": [capability, ...],
      "capabilities": {
        name: {
          "items": int,                         # probes gated (every probe of the capability)
          "base": {"accuracy": float, "nll": float},
          "candidate": {"accuracy": float, "nll": float},
          "delta": {"accuracy": float, "accuracy_interval": [lo, hi],   # candidate - base, 90% paired bootstrap
                    "nll": float, "nll_interval": [lo, hi]},            # positive nll delta: candidate worse
          "drop": float,                        # base - candidate accuracy
          "verdict": "passes" | "fails",        # fails: drop > max_drop, or NLL delta > max_nll_rise
          "reasons": [str, ...],                # the rules it broke, e.g. "drop 0.203 > 0.050"
          "significant": bool,                  # the accuracy interval excludes 0
          "regressed": [{"prompt", "expected", "base_output", "output"}, ...],  # base passed, candidate failed
          "fixed": int                          # candidate passed, base failed
        }
      },
      "seconds": {"base": float, "candidate": float, "total": float}  # base: 0 when cached
    }
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from forgetlab.core import gate as stats
from forgetlab.core.probes import Suite
from forgetlab.core.scenario import ENGINE_VERSION
from forgetlab.core.settings import get_settings
from forgetlab.core.tiers import Tier

from .artifacts import is_adapter_dir, read_manifest, weights_sha256
from .encoding import VocabularyError
from .decode import greedy
from .evaluate import EncodedSuite, evaluate
from .model import ModelLoadError, load, load_model

SCHEMA = "forgetlab.gate/1"


class GateError(Exception):
    """Input the gate cannot use (a missing model, an adapter for another base, an unknown capability);
    the message is for the user."""


@dataclass
class Scored:
    """One model's items on one suite: per capability, (passed, nll) per probe and its output where known."""

    items: dict[str, list[stats.Item]]
    outputs: dict[str, list[str | None]]  # judged suites: every generation; exact match: filled in later
    seconds: float


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def gate_suite(tier: Tier, capabilities: list[str] | None = None) -> Suite:
    """Every probe of the tier's capabilities (tasks are what the candidate was tuned on, not gated)."""
    names = list(tier.capabilities)
    if capabilities:
        unknown = [c for c in capabilities if c not in tier.capabilities]
        if unknown:
            raise GateError(f"unknown capability {', '.join(map(repr, unknown))} of tier {tier.name}; "
                            f"choose from: {', '.join(names)}")
        names = [c for c in names if c in capabilities]  # the tier's order, each once
    return tier.probe_suite().select(names)


def score_items(model, tokenizer, suite: Suite, device: str, max_new_tokens: int) -> Scored:
    """Pass/fail and reference NLL of every probe, per capability, in the suite's order: evaluate()'s own
    items, so a gate's numbers are exactly those a run measures (and the web gate compares)."""
    started = time.perf_counter()
    model.eval()
    encoded = EncodedSuite.build(suite, tokenizer, device, max_new_tokens, refusal_capabilities=())  # items only
    result = evaluate(model, encoded, suite.capabilities)
    items = {name: [stats.Item(bool(p), float(n)) for p, n in result["items"][name]] for name in suite.capabilities}
    generated = result.get("outputs", {})  # judged suites: prompt -> the greedy answer that was judged
    outputs = {name: [generated.get(p.prompt) for p in encoded.probes(name)] for name in suite.capabilities}
    return Scored(items, outputs, time.perf_counter() - started)


def cached_base(tier: Tier, suite: Suite, base_sha: str, device: str, measure) -> tuple[Scored, bool]:
    """The base's items, kept on disk for judged suites: generating every probe's answer is most of a
    SmolLM2 gate on a CPU (minutes per model), and in CI the base rarely changes while candidates do.
    One file per capability, so a `--suite` gate reuses a full one's. The key is everything the items
    depend on: the base's weights, the capability's probes and checks, the generation budget, the
    device and the engine version (bump ENGINE_VERSION when scoring changes). Exact-match suites take a
    second and are always measured. `measure(suite)` scores the base on a suite; returns (items, all of
    them read from the cache)."""
    if suite.judge is None or not base_sha:
        return measure(suite), False
    folder = get_settings().data_dir / "cache"
    paths, found = {}, {}
    for name in suite.capabilities:
        probes = [(p.prompt, p.answer, p.group, p.check) for p in suite.probes if p.capability == name]
        key = hashlib.sha256(json.dumps([SCHEMA, ENGINE_VERSION, tier.name, base_sha, device, tier.generation_tokens,
                                         name, probes], sort_keys=True).encode()).hexdigest()[:24]
        paths[name] = folder / f"gate-base-{tier.name}-{name}-{key}.json"
        try:
            data = json.loads(paths[name].read_text())
            found[name] = ([stats.Item(bool(p), float(n)) for p, n in data["items"]], data["outputs"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
    missing = [name for name in suite.capabilities if name not in found]
    seconds = 0.0
    if missing:
        scored = measure(suite.select(missing))
        seconds = scored.seconds
        folder.mkdir(parents=True, exist_ok=True)
        for name in missing:
            found[name] = (scored.items[name], scored.outputs[name])
            tmp = paths[name].with_suffix(f".tmp{os.getpid()}")
            tmp.write_text(json.dumps({"items": scored.items[name], "outputs": scored.outputs[name]}))
            os.replace(tmp, paths[name])  # atomic: two gates measuring at once both write a whole file
    return Scored({name: found[name][0] for name in suite.capabilities},
                  {name: found[name][1] for name in suite.capabilities}, seconds), not missing


def load_base(tier: Tier, base_dir: str | Path | None):
    """(model, tokenizer, path, label): the tier's base (a GGUF converted on first use), or a directory."""
    try:
        if base_dir is None:
            ref = tier.model()
            model, tokenizer = load_model(ref)
            return model, tokenizer, Path(ref.path), ref.revision
        model, tokenizer = load(base_dir)
        return model, tokenizer, Path(base_dir), f"local model {Path(base_dir).name}"
    except ModelLoadError as e:
        raise GateError(str(e)) from None


def load_candidate(path: str | Path, base_model, base_tokenizer, base_path: Path):
    """(model, tokenizer, kind): a full model directory, or a LoRA adapter merged into a copy of the base."""
    path = Path(path)
    if not path.is_dir():
        raise GateError(f"no model at {path}" if not path.exists() else f"{path} is not a directory")
    if not is_adapter_dir(path):
        try:
            model, tokenizer = load(path)
        except ModelLoadError as e:
            raise GateError(str(e)) from None
        return model, tokenizer, "full"
    manifest = read_manifest(path)
    expected = ((manifest or {}).get("base") or {}).get("weights_sha256")
    if expected and expected != weights_sha256(base_path):
        raise GateError(f"the adapter at {path} was trained on another base ({manifest['base'].get('revision')}, "
                        f"weights {expected[:12]}), not {base_path} ({weights_sha256(base_path)[:12] or 'no weights'})")
    from peft import PeftModel

    from . import lora  # noqa: F401  (silences peft's own deprecation warning, as for training)

    try:
        # A copy: merging rewrites the weights it merges into, and the base itself is still to be scored.
        model = PeftModel.from_pretrained(copy.deepcopy(base_model), path).merge_and_unload()
    except (OSError, ValueError, KeyError, RuntimeError) as e:  # RuntimeError: shapes of another architecture
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise GateError(f"{path} is not a LoRA adapter of this base: {first}") from None
    model.eval()
    return model, base_tokenizer, "adapter"


def _regressed(suite: Suite, name: str, index: list[int], base: Scored, candidate: Scored, model, tokenizer,
               budget: int) -> list[dict]:
    """The probes a capability lost, with what each model answered. Exact-match suites never generate
    to score, so the candidate's wrong answers are decoded here, for the few regressed probes only."""
    probes = [p for p in suite.probes if p.capability == name]
    outputs = candidate.outputs[name]
    if index and suite.judge is None:
        decoded = greedy(model, tokenizer, [probes[i].prompt for i in index], budget)
        outputs = list(outputs)
        for i, text in zip(index, decoded):
            outputs[i] = text
    return [{"prompt": probes[i].prompt, "expected": probes[i].answer,
             # an exact-match base that passed answered exactly the expected words
             "base_output": base.outputs[name][i] if suite.judge is not None else probes[i].answer,
             "output": outputs[i]} for i in index]


def run_gate(tier: Tier, candidate_dir: str | Path, *, base_dir: str | Path | None = None,
             capabilities: list[str] | None = None, max_drop: float = stats.MAX_DROP,
             max_nll_rise: float | None = None, seed: int = stats.SEED,
             resamples: int = stats.RESAMPLES, level: float = stats.LEVEL, device: str | None = None,
             cache: bool = True) -> dict:
    """Gate a candidate against a base (the tier's own, or `base_dir`) on the tier's capability suites;
    returns the report documented in this module's docstring. `cache`: reuse the base's judged items
    from an earlier gate (see cached_base); the candidate is always measured."""
    started = time.perf_counter()
    device = device or default_device()
    if device == "cuda" and not torch.cuda.is_available():
        raise GateError("--device cuda: this machine has no CUDA GPU")
    suite = gate_suite(tier, capabilities)
    candidate_dir = Path(candidate_dir)
    if not candidate_dir.exists():  # before loading the base: a typo costs a second, not a conversion
        raise GateError(f"no model at {candidate_dir}")
    base_model, base_tokenizer, base_path, label = load_base(tier, base_dir)
    # Both loaded before either is scored: a candidate that is no model fails now, not after the base's
    # minute of generation (SmolLM2 on a CPU).
    model, tokenizer, kind = load_candidate(candidate_dir, base_model, base_tokenizer, base_path)
    base_sha = weights_sha256(base_path)

    def measure_base(part: Suite) -> Scored:
        base_model.to(device)
        try:
            return score_items(base_model, base_tokenizer, part, device, tier.generation_tokens)
        except VocabularyError as e:  # a --base directory whose tokenizer cannot spell the suite
            raise GateError(f"{base_path}: {e}") from None

    base, base_cached = cached_base(tier, suite, base_sha if cache else "", device, measure_base)
    model.to(device)
    try:
        candidate = score_items(model, tokenizer, suite, device, tier.generation_tokens)
    except VocabularyError as e:  # a candidate whose tokenizer cannot spell the suite
        raise GateError(f"{candidate_dir}: {e}") from None
    result = stats.compare(base.items, candidate.items, max_drop=max_drop, max_nll_rise=max_nll_rise,
                           resamples=resamples, level=level, seed=seed)
    for name, c in result["capabilities"].items():
        c["regressed"] = _regressed(suite, name, c["regressed"], base, candidate, model, tokenizer,
                                    tier.generation_tokens)
        c["fixed"] = len(c["fixed"])
    artifact = read_manifest(candidate_dir)
    recorded = ((artifact or {}).get("base") or {}).get("weights_sha256")
    return {
        "schema": SCHEMA, "tier": tier.name, "scoring": "exact-match" if suite.judge is None else "judged",
        "device": device,
        "base": {"path": str(base_path), "label": label, "weights_sha256": base_sha, "cached": base_cached},
        "candidate": {"path": str(candidate_dir), "kind": kind, "artifact": artifact,
                      "same_base": recorded == base_sha if recorded else None},
        **result,
        "seconds": {"base": round(base.seconds, 3), "candidate": round(candidate.seconds, 3),
                    "total": round(time.perf_counter() - started, 3)},
    }

