"""Reproduce the article's claims as a reviewer would judge them (docs/claims.md).

Each claim compares scenarios that differ from `break-it` in one thing (or checks one scenario against
a bar), run on every (base seed, seed) pair: a *unit*. Each claim has one or more tests, judged over the
units as worker/engine/claim_effects.py says (mean effect, 90% bootstrap interval, verdict against a
minimum effect fixed before any claim ran).

Forgetting is compared at *matched learning*: at each arm's first checkpoint whose task accuracy reaches
LEARNED, so an arm that learns less cannot win by not learning. A matched test reads each arm's *learning
run*: the arm's scenario given LEARN_EPOCHS (the most a scenario allows) and ended once it has learnt;
with a constant learning rate and each epoch's order drawn in turn, that run is the arm's own run, longer.
The synthetic tier's primary measure is the mean accuracy drop over the general capabilities (the mean
answer-NLL rise is reported beside it); SmolLM2's is the NLL rise (its pass rates sit near floors), with
accuracy beside it.
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from forgetlab.core.errors import Cancelled
from forgetlab.core.metrics import bootstrap_ci
from forgetlab.core.presets import BREAK_IT, PRESETS, SMOLLM2_BREAK_IT
from forgetlab.core.scenario import Scenario, with_overrides
from forgetlab.core.tiers import tier_for
from forgetlab.worker.threads import configure

from .claim_effects import (
    CORRELATION_MIN,
    LEARNED,
    LEVEL,
    MIN_EFFECT,
    PRIMARY,
    Effect,
    at_end,
    bar,
    combine,
    learning_area,
    loss_tracks_forgetting,
    matched,
    task_bar,
    verdict,
    wise_keeps,
)
from .train import train

# Fixed before protocol v2's run (docs/claims.md, "The protocol"): the learning budget of a matched comparison, 640 steps at
# break-it (4x its own), so an arm that learns slowly is still compared rather than called not measurable.
LEARN_EPOCHS = 20
# Every claim run is measured every 20 steps on the full suite, so curves can be matched.
CLAIM_RUN = {"synthetic": {"eval_every": 20}, "smollm2": {}}


@dataclass(frozen=True)
class Test:
    name: str
    effect: Effect
    kind: str = "greater"  # "greater": effect >= min_effect; "equivalent": |effect| < min_effect
    min_effect: float = MIN_EFFECT
    learning: bool = False  # reads each arm's learning run (a matched comparison), not the arm's own run


@dataclass(frozen=True)
class Claim:
    number: int
    text: str
    scenarios: dict[str, dict]  # label -> overrides on the tier's break-it
    tests: list[Test] = field(default_factory=list)
    source: str = "the article"


def _less(better: str, worse: str) -> list[Test]:
    return [Test("forgetting at matched learning", matched(better, worse), learning=True)]


RECIPE = PRESETS["recipe"].overrides
EARLY = {k: PRESETS["early-stop"].overrides[k] for k in ("early_stopping", "patience", "min_delta", "validate_every")}
# Break-it itself, with its WiSE-FT curve measured after training (which changes nothing in training): one
# run serves as the reference arm of most claims and as claim 11's model.
BREAK = {"wise_ft": True}
RANKS = {"rank 2": {"method": "lora"},  # the LoRA arm of claims 3 and 9: rank 2, alpha 4
         "rank 16": {"method": "lora", "lora_rank": 16, "lora_alpha": 32}}  # the same scale alpha / rank
FREEZE = {"freeze_layers": PRESETS["freeze"].overrides["freeze_layers"]}  # the preset's: 1 of the 3 blocks
# Claim 13's mix curve runs at batch 100, not break-it's 32, so that each ratio is a whole number of rows (1, 5
# and 20): at 32, 1% is 0.32 of a row, which rounds to none (a scenario refuses such a mix). Protocol v3, fixed
# before any of its runs; its 0% arm is break-it at batch 100.
MIX_BATCH = 100
MIX_CURVE = {f"{ratio:.0%} mix": {"batch_size": MIX_BATCH, "mix_ratio": ratio} for ratio in (0.0, 0.01, 0.05, 0.2)}
CLAIMS = [
    Claim(1, "More epochs, more forgetting (5 vs 15)", {"5 epochs": BREAK, "15 epochs": {"epochs": 15}},
          [Test("forgetting at the end, both learnt", at_end("5 epochs", "15 epochs"))]),
    Claim(2, "Higher learning rate, more forgetting (1e-4 vs 1e-3)", {"lr 1e-4": {"lr": 1e-4}, "lr 1e-3": BREAK},
          _less("lr 1e-4", "lr 1e-3")),
    Claim(3, "LoRA (rank 2) forgets less than full fine-tuning, same learning rate",
          {"full": BREAK, "lora": RANKS["rank 2"]}, _less("lora", "full")),
    Claim(4, "A 20% general mix cuts forgetting", {"0% mix": BREAK, "20% mix": {"mix_ratio": 0.2}},
          _less("20% mix", "0% mix") + [Test("forgetting at the same task examples seen (the end)",
                                             at_end("20% mix", "0% mix"))]),
    Claim(5, "EWC cuts forgetting", {"no EWC": BREAK, "EWC": {"ewc_lambda": PRESETS["ewc"].overrides["ewc_lambda"]}},
          _less("EWC", "no EWC")),
    Claim(6, "Early stopping (best weights restored) limits forgetting", {"no stop": BREAK, "early stop": EARLY},
          [Test("forgetting at the end, both learnt", at_end("early stop", "no stop"))]),
    Claim(7, "Narrow task data forgets more than diverse data",
          {"narrow": BREAK, "diverse": {"task": "support-diverse"}}, _less("diverse", "narrow")),
    Claim(8, "The recipe (LoRA r=8 + 20% mix + low LR + early stopping) keeps every capability within 5 points "
             "and reaches 0.90 task accuracy", {"recipe": {**RECIPE, "epochs": LEARN_EPOCHS}},
          [Test("5 points minus the largest drop", bar("recipe"), min_effect=0.0),
           Test("task accuracy minus 0.90", task_bar("recipe"), min_effect=0.0)]),
    Claim(9, "Forgetting follows the fine-tuning loss across checkpoints",
          {"lr 1e-3": BREAK, "lr 1e-4": {"lr": 1e-4}, "lora": RANKS["rank 2"]},
          [Test("Spearman correlation of loss fall and forgetting",
                loss_tracks_forgetting(("lr 1e-3", "lr 1e-4", "lora")), min_effect=CORRELATION_MIN)],
          source="Kalajdzievski 2024"),
    Claim(10, "LoRA rank: rank 2 learns less and forgets less than rank 16, on one learning-forgetting curve",
          RANKS, [Test("learns less (mean task accuracy over the run)", learning_area("rank 16", "rank 2")),
                  Test("forgets less (end)", at_end("rank 2", "rank 16", both_learnt=False)),
                  Test("same forgetting at matched learning (within the minimum effect)",
                       matched("rank 2", "rank 16"), kind="equivalent", learning=True)], source="Biderman et al. 2024"),
    Claim(11, "WiSE-FT: an interpolation keeps 90% of the task gain and forgets less than the fine-tuned model",
          {"wise": BREAK}, [Test("forgetting of alpha=1 minus the picked alpha", wise_keeps("wise"))],
          source="Wortsman et al. 2022"),
    # Protocol v3 (docs/claims.md): break-it against the freeze preset, forgetting at matched learning (an
    # arm that never learns the task leaves its unit not measurable).
    Claim(12, "Freezing the lowest layers (the embeddings and 1 of 3 blocks) reduces forgetting",
          {"no freeze": BREAK, "freeze": FREEZE}, _less("freeze", "no freeze"), source="Zheng et al. 2025"),
    # "Enough", as protocol v3 writes it: 1% of every batch forgets less than none, and the same as 20% within the
    # minimum effect, both at matched learning. The 5% arm completes the curve; no test reads it.
    Claim(13, "A little general data is enough: a 1% mix cuts forgetting as much as a 20% one (batch 100)",
          MIX_CURVE,
          [Test("1% forgets less than none, at matched learning", matched("1% mix", "0% mix"), learning=True),
           Test("1% forgets the same as 20% (within the minimum effect), at matched learning",
                matched("20% mix", "1% mix"), kind="equivalent", learning=True)],
          source="Bethune et al. 2025"),
]


# SmolLM2: overrides on smollm2-break-it (LoRA r=16 at 1e-3, 2 epochs of 160 support tickets); judged by NLL rise.
SMOLLM2_CLAIMS = [
    Claim(1, "More epochs, more forgetting", {"1 epoch": {"epochs": 1}, "3 epochs": {"epochs": 3}},
          [Test("forgetting at the end", at_end("1 epoch", "3 epochs", both_learnt=False))]),
    Claim(2, "Higher learning rate, more forgetting", {"lr 2e-4": {"lr": 2e-4}, "lr 1e-3": {}},
          [Test("forgetting at the end", at_end("lr 2e-4", "lr 1e-3", both_learnt=False))]),
    Claim(3, "LoRA forgets less than full fine-tuning (each at a high rate for it: 1e-3 LoRA, 1e-4 full)",
          {"full": {"method": "full", "lr": 1e-4}, "lora": {}}, [Test("forgetting at the end",
                                                                       at_end("lora", "full", both_learnt=False))]),
    Claim(4, "A 20% general mix cuts forgetting", {"0% mix": {}, "20% mix": {"mix_ratio": 0.2}},
          [Test("forgetting at the end", at_end("20% mix", "0% mix", both_learnt=False))]),
    Claim(5, "EWC cuts forgetting", {"no EWC": {}, "EWC": {"ewc_lambda": 10.0, "ewc_samples": 64}},
          [Test("forgetting at the end", at_end("EWC", "no EWC", both_learnt=False))]),
    Claim(6, "Early stopping limits forgetting",
          {"no stop": {"eval_every": 10},
           "early stop": {"early_stopping": True, "patience": 1, "eval_every": 10, "validate_every": 10}},
          [Test("forgetting at the end", at_end("early stop", "no stop", both_learnt=False))]),
    Claim(7, "Task distance: the far task (support style) forgets more than the near one (SQL)",
          {"far": {}, "near": {"task": "sql"}}, [Test("forgetting at the end", at_end("near", "far", both_learnt=False))]),
    Claim(8, "Self-rehearsal (20% of each batch from the base's own answers) cuts forgetting",
          {"none": {}, "self-rehearsal": {"rehearsal_ratio": 0.2}},
          [Test("forgetting at the end", at_end("self-rehearsal", "none", both_learnt=False))]),
    Claim(9, "The recipe (LoRA r=8 + 20% mix + lr 2e-4 + early stopping) keeps every capability's reference "
             "NLL within 0.05 nats and reaches 0.90 task accuracy",
          {"recipe": dict(PRESETS["smollm2-fix-it"].overrides)},
          [Test("0.05 nats minus the largest rise", bar("recipe"), min_effect=0.0),
           Test("task accuracy minus 0.90", task_bar("recipe"), min_effect=0.0)]),
]
CLAIMS_BY_TIER = {"synthetic": (CLAIMS, BREAK_IT), "smollm2": (SMOLLM2_CLAIMS, SMOLLM2_BREAK_IT)}


def judge(claim: Claim, units: list[tuple[int, int]], runs: dict, tier: str) -> dict:
    """A claim's row: each test's effect per unit, its interval and verdict; the claim's verdict."""
    primary, beside = PRIMARY[tier]
    per_unit, tests = [], []
    for base_seed, seed in units:
        arms = {learning: {label: runs[key]
                           for label, key in claim_keys(claim, base_seed, seed, tier, learning).items()}
                for learning in {t.learning for t in claim.tests}}
        row = {"base_seed": base_seed, "seed": seed, "effects": [], "beside": [], "notes": []}
        for test in claim.tests:
            effect, note = test.effect(arms[test.learning], primary)
            other, _ = test.effect(arms[test.learning], beside)
            row["effects"].append(effect)
            row["beside"].append(other)
            row["notes"].append(note)
        per_unit.append(row)
    for i, test in enumerate(claim.tests):
        result = verdict([u["effects"][i] for u in per_unit], test.kind, test.min_effect)
        beside_values = [u["beside"][i] for u in per_unit if u["beside"][i] is not None]
        tests.append({"name": test.name, **result,
                      "beside_mean": sum(beside_values) / len(beside_values) if beside_values else None,
                      "beside_ci": list(bootstrap_ci(beside_values, LEVEL)) if beside_values else None})
    word = combine([t["verdict"] for t in tests])
    first = tests[0]
    # "held", "effect" and "seeds" keep the old row's reading for scripts written against it.
    return {"claim": claim.number, "text": claim.text, "source": claim.source, "verdict": word,
            "held": word == "holds", "effect": first["mean"] if first["mean"] is not None else float("nan"),
            "tests": tests, "units": per_unit,
            "seeds": [{"seed": u["seed"], "base_seed": u["base_seed"], "effect": u["effects"][0],
                       "held": u["effects"][0] is not None and u["effects"][0] > 0, "note": "; ".join(u["notes"])}
                      for u in per_unit]}


# --- running ------------------------------------------------------------------------------------
def scenario_for(overrides: dict, seed: int, tier: str = "synthetic", base_seed: int = 0) -> Scenario:
    return with_overrides(Scenario(), {**CLAIMS_BY_TIER[tier][1], **CLAIM_RUN[tier], **overrides, "seed": seed,
                                       "base_seed": base_seed})


def claim_runs(claim: Claim, base_seed: int, seed: int, tier: str,
               learning: bool = False) -> dict[str, tuple[str, Scenario, float | None]]:
    """label -> (key, scenario, task level that ends it early or None) of a claim's runs on one unit: its arms'
    own runs, or (learning=True) their learning runs, kept apart from the own runs by their key."""
    if not learning:
        return {label: ((s := scenario_for(o, seed, tier, base_seed)).canonical_hash(), s, None)
                for label, o in claim.scenarios.items()}
    return {label: ((s := scenario_for({**o, "epochs": LEARN_EPOCHS}, seed, tier, base_seed)).canonical_hash()
                    + "-learning", s, LEARNED) for label, o in claim.scenarios.items()}


def claim_keys(claim: Claim, base_seed: int, seed: int, tier: str, learning: bool = False) -> dict[str, str]:
    return {label: key for label, (key, _, _) in claim_runs(claim, base_seed, seed, tier, learning).items()}


def planned(claims: list[Claim], units: list[tuple[int, int]], tier: str) -> dict[str, tuple[Scenario, float | None]]:
    """Every distinct run the claims read over the units, by key: (scenario, task level that ends it or None)."""
    return {key: (scenario, until) for claim in claims for base_seed, seed in units
            for learning in {t.learning for t in claim.tests}
            for key, scenario, until in claim_runs(claim, base_seed, seed, tier, learning).values()}


def plan_units(seeds: int, bases: int = 1) -> list[tuple[int, int]]:
    return [(b, s) for b in range(bases) for s in range(seeds)]


def _run_one(config: dict, model_dir: str | None, runtime=None, until: float | None = None) -> dict:
    """One scenario trained, with its curve: every evaluation point's task, capabilities and losses.
    `until` ends a learning run at its first point with that task accuracy (it then has no summary)."""
    from forgetlab.core.scenario import parse

    scenario = parse(config)
    curve: list[dict] = []

    def on_event(event) -> None:
        if event.type == "metrics":
            curve.append({"step": event.step, "task": event.task.accuracy, "task_nll": event.task.nll,
                          "caps": {c: m.accuracy for c, m in event.capabilities.items()},
                          "nll": {c: m.nll for c, m in event.capabilities.items()},
                          "val_loss": event.val_loss, "train_loss": event.train_loss})

    def learnt() -> bool:
        return until is not None and bool(curve) and curve[-1]["task"] >= until

    try:
        summary = train(scenario, on_event, tier=tier_for(scenario.tier, model_dir), runtime=runtime,
                        should_cancel=learnt, full_points=scenario.tier == "synthetic").model_dump(mode="json")
    except Cancelled:
        summary = None  # learnt: what follows is never read
    return {"summary": summary, "curve": curve, "task_slots": scenario.task_slots}


def run_claims(seeds: int, on_run: Callable[[str, int], None] | None = None, model_dir: str | None = None,
               tier: str = "synthetic", runtime=None, on_row: Callable[[dict], None] | None = None,
               bases: int = 1, workers: int = 1, cache_dir: Path | None = None,
               only: list[int] | None = None) -> list:
    """Run every claim's scenarios (or those numbered in `only`) on each (base seed, seed) unit; identical
    scenarios are trained once.
    workers > 1 fans the runs out over that many processes, threads by worker/threads.py's rule (CPU only). on_row
    gets each claim's row as soon as it is judged. cache_dir keeps each run's result under its canonical
    hash, so judging again (or after an interruption) retrains nothing."""
    claims = [c for c in CLAIMS_BY_TIER[tier][0] if only is None or c.number in only]
    units = plan_units(seeds, bases)
    todo = planned(claims, units, tier)
    runs: dict[str, dict] = {}
    store = _Store(cache_dir, model_dir)
    runs.update({k: hit for k in todo if (hit := store.get(k)) is not None})
    if workers > 1 and runtime is None:
        context = multiprocessing.get_context("spawn")
        setup = functools.partial(configure, tier, processes=workers)  # before each process imports torch
        with ProcessPoolExecutor(workers, mp_context=context, initializer=setup) as pool:
            futures = {pool.submit(_run_one, s.model_dump(mode="json"), model_dir, None, until): k
                       for k, (s, until) in todo.items() if k not in runs}
            for future in as_completed(futures):
                runs[futures[future]] = store.put(futures[future], future.result())
                if on_run:
                    on_run(futures[future], todo[futures[future]][0].seed)
    rows = []
    for claim in claims:  # in-process: claim by claim, so a long run reports as it goes
        for key, (scenario, until) in planned([claim], units, tier).items():
            if key not in runs:
                runs[key] = store.put(key, _run_one(scenario.model_dump(mode="json"), model_dir, runtime, until))
                if on_run:
                    on_run(key, scenario.seed)
        rows.append(judge(claim, units, runs, tier))
        if on_row:
            on_row(rows[-1])
    return rows


class _Store:
    """Claim runs on disk, one JSON file per canonical hash (which covers the engine version and the base's
    checksum); nothing is kept for a --model base, whose hash does not name the directory's contents."""

    def __init__(self, directory: Path | None, model_dir: str | None):
        self.directory = None if model_dir else directory

    def get(self, key: str) -> dict | None:
        try:
            return json.loads((self.directory / f"{key}.json").read_text()) if self.directory else None
        except (OSError, ValueError):
            return None

    def put(self, key: str, run: dict) -> dict:
        if self.directory:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp = self.directory / f"{key}.tmp{os.getpid()}"
            tmp.write_text(json.dumps(run))
            os.replace(tmp, self.directory / f"{key}.json")
        return run


def runs_needed(seeds: int, tier: str = "synthetic", bases: int = 1, only: list[int] | None = None) -> int:
    return len(planned([c for c in CLAIMS_BY_TIER[tier][0] if only is None or c.number in only],
                       plan_units(seeds, bases), tier))
