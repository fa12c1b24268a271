"""Reproduce the article's claims: paired scenarios, run on several seeds, effect sizes, held or not.

Each claim compares two scenarios that differ in one thing (or, for the recipe, checks one
scenario against the article's bar). "Forgetting" is the mean over the general capabilities
of base accuracy minus final accuracy, in accuracy points (0..1). A claim holds only if it
holds on every seed; the table reports the effect on each seed so a failure is visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from core.presets import BREAK_IT, PRESETS
from core.scenario import Scenario, with_overrides
from core.tiers import tier_for

from .train import train


def mean_forgetting(summary: dict) -> float:
    return sum(summary["forgetting"].values()) / len(summary["forgetting"])


@dataclass(frozen=True)
class Claim:
    number: int
    text: str
    scenarios: dict[str, dict]  # label -> overrides on break-it
    # (summaries by label) -> (effect size, held?, note)
    judge: Callable[[dict[str, dict]], tuple[float, bool, str]]


def _less_forgetting(better: str, worse: str, min_cut: float = 0.0):
    """Holds when `better` forgets less than `worse`, by at least `min_cut` of worse's forgetting."""

    def judge(s: dict[str, dict]) -> tuple[float, bool, str]:
        fb, fw = mean_forgetting(s[better]), mean_forgetting(s[worse])
        cut = (fw - fb) / fw if fw > 0 else 0.0
        note = f"{worse} {fw:.3f} vs {better} {fb:.3f} ({cut:.0%} less)"
        return fw - fb, fw > fb and cut >= min_cut, note

    return judge


def _lora_judge(s: dict[str, dict]) -> tuple[float, bool, str]:
    effect, held, note = _less_forgetting("lora", "full")(s)
    tasks = {k: s[k]["task_accuracy"]["final"] for k in ("full", "lora")}
    return effect, held, f"{note}; task accuracy full {tasks['full']:.2f}, lora {tasks['lora']:.2f}"


def _recipe_judge(s: dict[str, dict]) -> tuple[float, bool, str]:
    summary = s["recipe"]
    worst = max(summary["forgetting"].values())
    task = summary["task_accuracy"]["final"]
    return worst, worst <= 0.05 and task >= 0.90, f"largest capability drop {worst:.3f}, task accuracy {task:.2f}"


RECIPE = PRESETS["fix-it"].overrides
CLAIMS = [
    Claim(1, "More epochs, more forgetting", {"1 epoch": {"epochs": 1}, "5 epochs": {"epochs": 5}},
          _less_forgetting("1 epoch", "5 epochs")),
    Claim(2, "Higher learning rate, more forgetting", {"lr 1e-4": {"lr": 1e-4}, "lr 1e-3": {"lr": 1e-3}},
          _less_forgetting("lr 1e-4", "lr 1e-3")),
    Claim(3, "LoRA forgets less than full fine-tuning (and learns less)",
          {"full": {}, "lora": {"method": "lora"}}, _lora_judge),
    Claim(4, "A 20% general mix cuts forgetting substantially (by at least half)",
          {"0% mix": {}, "20% mix": {"mix_ratio": 0.2}}, _less_forgetting("20% mix", "0% mix", min_cut=0.5)),
    Claim(5, "EWC cuts forgetting", {"no EWC": {}, "EWC": {"ewc_lambda": PRESETS["ewc"].overrides["ewc_lambda"]}},
          _less_forgetting("EWC", "no EWC")),
    Claim(6, "Early stopping limits forgetting",
          {"no stop": {}, "early stop": {k: PRESETS["early-stop"].overrides[k]
                                         for k in ("early_stopping", "patience", "min_delta")}},
          _less_forgetting("early stop", "no stop")),
    Claim(7, "Narrow task data forgets more than diverse data",
          {"narrow": {"task": "support-narrow"}, "diverse": {"task": "support-diverse"}},
          _less_forgetting("diverse", "narrow")),
    Claim(8, "The recipe (LoRA + 20% mix + low LR + early stopping) keeps every capability within 5 points "
             "and reaches 0.90 task accuracy", {"recipe": RECIPE}, _recipe_judge),
]


def scenario_for(overrides: dict, seed: int) -> Scenario:
    return with_overrides(Scenario(), {**BREAK_IT, **overrides, "seed": seed})


def run_claims(seeds: int, on_run: Callable[[str, int], None] | None = None, model_dir: str | None = None) -> list:
    """Run every claim's scenarios on seeds 0..seeds-1; identical scenarios are trained once."""
    cache: dict[str, dict] = {}

    def summary(overrides: dict, seed: int) -> dict:
        scenario = scenario_for(overrides, seed)
        key = scenario.canonical_hash()
        if key not in cache:
            cache[key] = train(scenario, tier=tier_for(scenario.tier, model_dir)).model_dump(mode="json")
            if on_run:
                on_run(key, seed)
        return cache[key]

    rows = []
    for claim in CLAIMS:
        per_seed = []
        for seed in range(seeds):
            results = {label: summary(o, seed) for label, o in claim.scenarios.items()}
            effect, held, note = claim.judge(results)
            per_seed.append({"seed": seed, "effect": effect, "held": held, "note": note})
        rows.append({"claim": claim.number, "text": claim.text, "held": all(r["held"] for r in per_seed),
                     "effect": sum(r["effect"] for r in per_seed) / seeds, "seeds": per_seed})
    return rows


def runs_needed(seeds: int) -> int:
    distinct = {scenario_for(o, seed).canonical_hash() for c in CLAIMS for o in c.scenarios.values()
                for seed in range(seeds)}
    return len(distinct)
