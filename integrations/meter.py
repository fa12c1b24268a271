"""Measuring a model while it trains: a tier's capability suites, encoded once with the model's tokenizer, scored
by the engine's evaluate() (no second evaluator), in eval mode without gradients, the model back in train mode
after. The base is the model before the first update; a peft model's base is the same model with its adapters
disabled, so no second copy of the weights is ever made.

Like a lab run, the first point (the base) and the last are measured on the tier's full per-suite probe count
(`final_probes`) and carry per-probe items for the gate; the points between use its quicker subset (`run_probes`).
"""

from __future__ import annotations

import contextlib
import time

import torch

from forgetlab.core.results import cap_key
from forgetlab.core.tiers import get_tier
from forgetlab.worker.engine.evaluate import EncodedSuite, evaluate


class Meter:
    def __init__(self, tokenizer, *, tier: str = "smollm2", suites: list[str] | None = None, device=None,
                 probes: int | None = None, final_probes: int | None = None):
        known = get_tier(tier)
        names = [s for s in suites or [] if not str(s).endswith(".jsonl")]  # the tier's capabilities, by name
        own = read_suites([str(s) for s in suites or [] if str(s).endswith(".jsonl")], known)  # files: your own
        self.own_suites = [suite.name for suite in own]
        known = known.with_suites({suite.name: suite.probes() for suite in own}) if own else known
        self.tier, self.suites = known, (names or list(get_tier(tier).capabilities)) + self.own_suites
        suite = known.probe_suite().select(self.suites)
        full = suite.head(final_probes or known.final_probes) if (final_probes or known.final_probes) else suite
        quick = full.head(probes or known.run_probes) if (probes or known.run_probes) else full
        tokens, refusal = known.generation_tokens, known.refusal_capabilities  # as the tier's runs measure
        self.full = EncodedSuite.build(full, tokenizer, device or "cpu", tokens, refusal_capabilities=refusal)
        self.quick = EncodedSuite.build(quick, tokenizer, device or "cpu", tokens, refusal_capabilities=refusal)
        self.seconds = 0.0  # spent measuring, all points together

    def measure(self, model, *, full: bool, base: bool = False) -> tuple[dict[str, float], dict | None]:
        """(the point's values, per-probe items when `full`) for the model as it is now, or for its base."""
        started = time.perf_counter()
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad(), _base_of(model) if base else contextlib.nullcontext():
                result = evaluate(model, self.full if full else self.quick, self.suites)
        finally:
            model.train(was_training)
        self.seconds += time.perf_counter() - started
        values = {}
        for name, measure in result["capabilities"].items():
            values[cap_key(name, "accuracy")], values[cap_key(name, "nll")] = measure["accuracy"], measure["nll"]
        values.update({k: result[k] for k in ("refusal", "over_refusal") if result.get(k) is not None})
        items = {name: [[bool(p), float(n)] for p, n in rows] for name, rows in result["items"].items()}
        return values, items if full else None


def read_suites(paths: list[str], tier) -> list:
    """Your own suite files (core/suites.py), validated whole; ValueError naming each bad line, or why the tier
    cannot measure them."""
    from pathlib import Path

    from forgetlab.core import suites

    found = []
    for path in paths:
        try:
            found.append(suites.parse_suite(Path(path).read_bytes(), Path(path).name.removesuffix(".jsonl")))
        except suites.SuiteError as e:
            lines = "; ".join(f"{suites.where(err)}: {err['reason']}" for err in e.errors)
            raise ValueError(f"{path} is not a valid suite: {lines}") from None
    if found and not suites.accepts(tier):
        raise ValueError(suites.refusal_reason(tier))
    if reason := suites.names_problem([suite.name for suite in found], tier):
        raise ValueError(reason)
    return found


def _base_of(model):
    """The base under a peft model: its adapters off for the measurement (peft's disable_adapter). A model
    without adapters is its own base before the first update."""
    disable = getattr(model, "disable_adapter", None)
    return disable() if callable(disable) and hasattr(model, "peft_config") else contextlib.nullcontext()
