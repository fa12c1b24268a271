"""Reproduce the article's claims: paired scenarios, run on several seeds, effect sizes, held or not.

Each claim compares two scenarios that differ in one thing (or, for the recipe, checks one
scenario against the article's bar). "Forgetting" is the mean over the general capabilities
of base accuracy minus final accuracy, in accuracy points (0..1). A claim holds only if it
holds on every seed; the table reports the effect on each seed so a failure is visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from core.presets import BREAK_IT, PRESETS, SMOLLM2_BREAK_IT
from core.scenario import Scenario, with_overrides
from core.tiers import tier_for

from .train import train


def mean_forgetting(summary: dict) -> float:
    """Synthetic tier: mean accuracy drop of the general capabilities (0..1)."""
    return sum(summary["forgetting"].values()) / len(summary["forgetting"])


def mean_nll_rise(summary: dict) -> float:
    """SmolLM2 tier: mean rise of the reference answers' NLL (nats per token). A 135M model's pass rates
    sit near floors on several suites, so accuracy moves in coarse steps; the likelihood of good answers
    moves with every update, and is what its claims are judged on (accuracy is reported beside it)."""
    return sum(summary["final_nll"][c] - summary["baseline_nll"][c] for c in summary["final_nll"]) / len(
        summary["final_nll"])


MEASURES = {"synthetic": mean_forgetting, "smollm2": mean_nll_rise}


@dataclass(frozen=True)
class Claim:
    number: int
    text: str
    scenarios: dict[str, dict]  # label -> overrides on break-it
    # (summaries by label) -> (effect size, held?, note)
    judge: Callable[[dict[str, dict]], tuple[float, bool, str]]


def _less_forgetting(better: str, worse: str, min_cut: float = 0.0, measure=mean_forgetting):
    """Holds when `better` forgets less than `worse`, by at least `min_cut` of worse's forgetting."""

    def judge(s: dict[str, dict]) -> tuple[float, bool, str]:
        fb, fw = measure(s[better]), measure(s[worse])
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


def _smollm2_recipe_judge(s: dict[str, dict]) -> tuple[float, bool, str]:
    summary = s["recipe"]
    worst = max(summary["final_nll"][c] - summary["baseline_nll"][c] for c in summary["final_nll"])
    task = summary["task_accuracy"]["final"]
    return worst, worst <= 0.05 and task >= 0.90, (f"largest reference-NLL rise {worst:+.3f} nats, task accuracy "
                                                  f"{task:.2f}")


def _rise(better: str, worse: str, min_cut: float = 0.0):
    return _less_forgetting(better, worse, min_cut, measure=mean_nll_rise)


# SmolLM2: overrides on smollm2-break-it (LoRA r=16 at 1e-3, 2 epochs of 160 support tickets).
SMOLLM2_CLAIMS = [
    Claim(1, "More epochs, more forgetting", {"1 epoch": {"epochs": 1}, "3 epochs": {"epochs": 3}},
          _rise("1 epoch", "3 epochs")),
    Claim(2, "Higher learning rate, more forgetting", {"lr 2e-4": {"lr": 2e-4}, "lr 1e-3": {}},
          _rise("lr 2e-4", "lr 1e-3")),
    Claim(3, "LoRA forgets less than full fine-tuning (each at a high rate for it: 1e-3 LoRA, 1e-4 full)",
          {"full": {"method": "full", "lr": 1e-4}, "lora": {}}, _rise("lora", "full")),
    Claim(4, "A 20% general mix cuts forgetting substantially (by at least half)",
          {"0% mix": {}, "20% mix": {"mix_ratio": 0.2}}, _rise("20% mix", "0% mix", min_cut=0.5)),
    Claim(5, "EWC cuts forgetting", {"no EWC": {}, "EWC": {"ewc_lambda": 10.0, "ewc_samples": 64}},
          _rise("EWC", "no EWC")),
    Claim(6, "Early stopping limits forgetting",
          {"no stop": {"eval_every": 10}, "early stop": {"early_stopping": True, "patience": 1, "eval_every": 10}},
          _rise("early stop", "no stop")),
    Claim(7, "Task distance: the far task (support style) forgets more than the near one (SQL)",
          {"far": {}, "near": {"task": "sql"}}, _rise("near", "far")),
    Claim(8, "Self-rehearsal (20% of each batch from the base's own answers) cuts forgetting",
          {"none": {}, "self-rehearsal": {"rehearsal_ratio": 0.2}}, _rise("self-rehearsal", "none")),
    Claim(9, "The recipe (LoRA r=8 + 20% mix + lr 2e-4 + early stopping) keeps every capability's reference "
             "NLL within 0.05 nats and reaches 0.90 task accuracy",
          {"recipe": {k: v for k, v in PRESETS["smollm2-fix-it"].overrides.items()}}, _smollm2_recipe_judge),
]
CLAIMS_BY_TIER = {"synthetic": (CLAIMS, BREAK_IT), "smollm2": (SMOLLM2_CLAIMS, SMOLLM2_BREAK_IT)}


def scenario_for(overrides: dict, seed: int, tier: str = "synthetic") -> Scenario:
    return with_overrides(Scenario(), {**CLAIMS_BY_TIER[tier][1], **overrides, "seed": seed})


def run_claims(seeds: int, on_run: Callable[[str, int], None] | None = None, model_dir: str | None = None,
               tier: str = "synthetic", runtime=None, on_row: Callable[[dict], None] | None = None) -> list:
    """Run every claim's scenarios on seeds 0..seeds-1; identical scenarios are trained once. on_row gets
    each claim's row as soon as it is judged (a long run on a real model reports as it goes)."""
    cache: dict[str, dict] = {}

    def summary(overrides: dict, seed: int) -> dict:
        scenario = scenario_for(overrides, seed, tier)
        key = scenario.canonical_hash()
        if key not in cache:
            trained = train(scenario, tier=tier_for(scenario.tier, model_dir), runtime=runtime)
            cache[key] = trained.model_dump(mode="json")
            if on_run:
                on_run(key, seed)
        return cache[key]

    rows = []
    for claim in CLAIMS_BY_TIER[tier][0]:
        per_seed = []
        for seed in range(seeds):
            results = {label: summary(o, seed) for label, o in claim.scenarios.items()}
            effect, held, note = claim.judge(results)
            per_seed.append({"seed": seed, "effect": effect, "held": held, "note": note})
        rows.append({"claim": claim.number, "text": claim.text, "held": all(r["held"] for r in per_seed),
                     "effect": sum(r["effect"] for r in per_seed) / seeds, "seeds": per_seed})
        if on_row:
            on_row(rows[-1])
    return rows


def runs_needed(seeds: int, tier: str = "synthetic") -> int:
    distinct = {scenario_for(o, seed, tier).canonical_hash() for c in CLAIMS_BY_TIER[tier][0]
                for o in c.scenarios.values() for seed in range(seeds)}
    return len(distinct)
