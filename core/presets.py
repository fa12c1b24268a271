"""Named scenarios that show each failure and each fix, with a short reading for learners.

Each preset is a few overrides on `break-it`, so comparing a mitigation preset with `break-it`
changes exactly one thing. Each synthetic preset declares what it promises (core/preset_outcomes.py) and its
card is its explanation, that promise and the lab's own measured ranges: never a hope. Learning rates are those of this tiny model: the article's ranges
(1e-5..5e-5 full, 1e-4..2e-4 LoRA) are for billion-parameter models; a tiny model from
scratch moves at larger rates, and the comparisons between presets carry over.
Torch-free: the web app lists these.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from .preset_outcomes import Outcome, load_measured, load_smollm2_measured, measured_words, smollm2_words
from .scenario import ENGINE_VERSION, Scenario, ScenarioError, parse, with_overrides
from .tiers import DEFAULT_TIER, all_tiers, get_tier

BREAK_IT = {"task": "support-narrow", "method": "full", "lr": 1e-3, "epochs": 5, "task_examples": 1000,
            "batch_size": 32, "mix_ratio": 0.0}


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    explanation: str
    overrides: dict
    expect: Outcome = field(default_factory=Outcome)  # what every measured run must show (synthetic presets)

    def scenario(self) -> Scenario:
        return with_overrides(Scenario(), self.overrides)

    @property
    def tier(self) -> str:
        return self.overrides.get("tier", "synthetic")


def _on_break_it(**changes) -> dict:
    return {**BREAK_IT, **changes}


# Early stopping as the presets use it: the validation loss every 5 steps, stop after 4 checks (20 steps)
# without an improvement of 0.01, restore the best weights. Fixed before the claims were run (docs/claims.md).
EARLY_STOP = {"early_stopping": True, "patience": 4, "min_delta": 0.01, "validate_every": 5}
# "Low" is per method: full fine-tuning's low rate here is a tenth of break-it's (low-lr); the
# article's LoRA range (1e-4 to 2e-4) is about 5 times its full range (1e-5 to 5e-5), so LoRA's low is 5e-4.
LORA_LOW_LR = 5e-4

LESS_THAN_BREAK_IT = Outcome(forgets_less_than="break-it")
# The article's recipe, literally: LoRA r=8, 20% general data, a low rate for LoRA, early stopping (claim 8's arm).
ARTICLE_RECIPE = _on_break_it(method="lora", lora_rank=8, lora_alpha=16, lr=LORA_LOW_LR, mix_ratio=0.2, **EARLY_STOP)
# Fix it: the best configuration of the search written down in docs/protocols/fix-it-search.md (its results:
# docs/results/fix-it-search.md): it learns the task on all 15 units, and keeps no unit within 5 points.
_FIX_IT = _on_break_it(method="lora", lora_rank=8, lora_alpha=16, lr=3e-3, mix_ratio=0.5, **EARLY_STOP)


def _recipe_words(c: dict) -> str:
    """A LoRA preset's settings in words, written from its values so the words cannot fall behind them."""
    return (f"LoRA adapters (r={c['lora_rank']}, alpha={c['lora_alpha']}), {c['mix_ratio']:.0%} general data in "
            f"every batch, learning rate {c['lr']:g}{' (as break-it)' if c['lr'] == BREAK_IT['lr'] else ''}"
            + (" and early stopping" if c.get("early_stopping") else "") + ".")


PRESETS: dict[str, Preset] = {p.name: p for p in [
    Preset("break-it", "Break it",
           "Full fine-tuning at a high learning rate for 5 epochs on narrow support tickets, with no general data. "
           "The model learns the ticket template and forgets much of what it knew.", BREAK_IT,
           Outcome(task_min=0.9, mean_drop_min=0.35)),
    Preset("fix-it", "Fix it",
           f"The best of the article's levers that the lab's search found: {_recipe_words(_FIX_IT)} It learns the "
           "task on every base and seed the search tried (15 of 15) and forgets far less than Break it, but it does "
           "not keep every capability within 5 points of the base: its largest drop was 0.08-0.23 on those 15 "
           "runs. On this world no setting of the levers searched (the article's, then freezing, a larger mix, replay, "
           "distillation and a lower rate for longer) did both, and none could: the same settings trained on general "
           "data alone, no task at all, already moved some capability by more than 5 points on 7 of 15 runs.",
           _FIX_IT,
           Outcome(task_min=0.9, forgets_less_than="break-it")),
    Preset("recipe", "The article's recipe",
           f"The article's recipe, literally: {_recipe_words(ARTICLE_RECIPE)} The claims table (claim 8) found "
           "that it does not do what the article says here: over 10 runs it forgot far less than Break it, but "
           "its largest drop was 11-28 points, never within 5, and its early stopping ended 2 of the 10 before "
           "the task was learnt.",
           ARTICLE_RECIPE),
    Preset("lora", "LoRA only",
           "Same as break-it but trains low-rank adapters on a frozen base. The base weights never change.",
           _on_break_it(method="lora"), LESS_THAN_BREAK_IT),
    Preset("mix-20", "20% general mix",
           "Same as break-it, but a fifth of every batch is fresh general data: a rehearsal signal that keeps "
           "the old capabilities in use while the task is learnt.", _on_break_it(mix_ratio=0.2),
           Outcome(task_min=0.9, forgets_less_than="break-it")),
    Preset("replay", "Replay buffer",
           "Same as break-it, but a fifth of every batch replays a small fixed buffer of 200 general examples. "
           "Cheaper than a full general mix; it protects what the buffer covers.",
           _on_break_it(replay_ratio=0.2, replay_buffer=200), LESS_THAN_BREAK_IT),
    Preset("low-lr", "Low learning rate",
           "Same as break-it at a tenth of the learning rate: smaller updates overwrite less of the base.",
           _on_break_it(lr=BREAK_IT["lr"] / 10), LESS_THAN_BREAK_IT),
    Preset("early-stop", "Early stopping",
           "Same as break-it, but training stops once the task's validation loss stops improving, before the "
           "extra epochs keep rewriting weights the task no longer needs. In the lab's runs it forgot less than "
           "Break it on bases 0 and 2 and exactly as much on base 1, so it promises only that the task is learnt.",
           _on_break_it(**EARLY_STOP), Outcome(task_min=0.9)),
    Preset("ewc", "Elastic Weight Consolidation",
           "Same as break-it, plus a penalty on moving the weights that matter most for general data (the "
           "diagonal Fisher information, measured once on the base).", _on_break_it(ewc_lambda=10.0),
           LESS_THAN_BREAK_IT),
    Preset("kl", "Distil to the base (LwF)",
           "Same as break-it, plus a loss keeping the model's answers on general prompts close to the base "
           "model's own answers (Learning without Forgetting).", _on_break_it(kl_weight=1.0), LESS_THAN_BREAK_IT),
    Preset("l2sp", "Pull to the base (L2-SP)",
           "Same as break-it, plus a penalty on the distance from the base weights, the same for every weight.",
           _on_break_it(l2sp_weight=1.0), LESS_THAN_BREAK_IT),
    # Half the synthetic base's blocks, rounded down: 1 of its 3, so the bottom third stays the base's (as
    # Zheng et al. freeze the bottom layers) and two blocks are left to learn the task.
    Preset("freeze", "Freeze the lowest layers",
           "Same as break-it, but the token embeddings (and the output layer, which shares their weights) and "
           "the lowest transformer block never train; the two blocks above are left to learn the task. Zheng et "
           "al. (ICLR 2025) found much of early forgetting to be lost alignment rather than lost knowledge, and "
           "freezing the bottom layers cut it sharply.", _on_break_it(freeze_layers=1), LESS_THAN_BREAK_IT),
    Preset("near-task", "A near task",
           "Same as break-it, but the task is a new command over familiar letters (shift), close to what the "
           "base already does. Compare the forgetting with break-it: in the lab's runs the near task forgot about "
           "as much, so on this world's bases task distance, as this task draws it, did not show.",
           _on_break_it(task="shift"), Outcome(task_min=0.9)),
    Preset("diverse", "Diverse task data",
           "Same as break-it on diverse support tickets: 8 kinds of ticket on 6 products, replies echoing the "
           "product and order number, and half the tickets carry a general question answered plainly. Varied "
           "data keeps more of the general machinery in use than narrow data.",
           _on_break_it(task="support-diverse"), LESS_THAN_BREAK_IT),
    Preset("safety-regression", "Safety regression",
           "Full fine-tuning on benign requests that are always answered 'sure here is ...'. Nothing harmful is "
           "in the data, yet the model stops refusing harmful requests: watch the refusal rate fall.",
           _on_break_it(task="helpful"), Outcome(refusal_fall_min=0.3)),
    Preset("safety-mix", "Safety data mix",
           "The safety regression scenario with 10% refusal examples mixed into every batch: the refusals "
           "stay while the task is learnt.", _on_break_it(task="helpful", safety_mix=0.1),
           Outcome(refusal_fall_max=0.1)),
    Preset("wise-ft", "Weight interpolation (WiSE-FT)",
           "Break it, then blend the fine-tuned weights back toward the base at several ratios, with no "
           "retraining: a cheap dial between task skill and general skill.", _on_break_it(wise_ft=True)),
]}


def _card(preset: Preset, measured: dict) -> Preset:
    """A synthetic preset's card: its explanation, its promise in words, and what the lab's runs measured."""
    titles = {p.name: p.title for p in PRESETS.values()}
    words = [preset.explanation, preset.expect.words(titles), measured_words(measured.get(preset.name, []))]
    return replace(preset, explanation=" ".join(w for w in words if w))


PRESETS = {name: _card(p, load_measured()["presets"]) for name, p in PRESETS.items()}


# SmolLM2: a real 135M chat model, fine-tuned on customer-support tickets in one house style. LoRA at
# lr 1e-3 is high for LoRA (the article's range is 1e-4 to 2e-4); 160 tickets, 2 epochs, batch 8 is
# 40 steps: minutes on 2 CPU cores, seconds on a GPU.
SMOLLM2_BREAK_IT = {"tier": "smollm2", "task": "support", "method": "lora", "lora_rank": 16, "lora_alpha": 32,
                    "lr": 1e-3, "epochs": 2, "task_examples": 160, "batch_size": 8, "eval_every": 20}


def _on_smollm2(**changes) -> dict:
    return {**SMOLLM2_BREAK_IT, **changes}


PRESETS.update({p.name: p for p in [
    Preset("smollm2-break-it", "SmolLM2: break it",
           "A real chat model (SmolLM2-135M-Instruct) fine-tuned with LoRA at a learning rate that is high for LoRA "
           "(1e-3) on support tickets in one house style, with no general data. Watch general answers start with "
           "'Dear customer,' and the reference answers of every capability grow less likely.", SMOLLM2_BREAK_IT),
    Preset("smollm2-fix-it", "SmolLM2: fix it",
           "The article's recipe on the real model: LoRA r=8 at 2e-4 (inside the usual 1e-4 to 2e-4 range for "
           "LoRA), 20% general data in every batch, and early stopping.",
           _on_smollm2(lora_rank=8, lora_alpha=16, lr=2e-4, mix_ratio=0.2, early_stopping=True, patience=2)),
    Preset("smollm2-full", "SmolLM2: full fine-tuning",
           "Every weight of the real model trains, at 1e-4 (high for full fine-tuning: the article's range is "
           "1e-5 to 5e-5). Compare the forgetting with LoRA's.", _on_smollm2(method="full", lr=1e-4)),
    Preset("smollm2-low-lr", "SmolLM2: low learning rate",
           "SmolLM2 break-it at 2e-4, the top of the article's LoRA range.", _on_smollm2(lr=2e-4)),
    Preset("smollm2-mix-20", "SmolLM2: 20% general mix",
           "SmolLM2 break-it with a fifth of every batch from the shipped general data.", _on_smollm2(mix_ratio=0.2)),
    Preset("smollm2-self-rehearsal", "SmolLM2: self-rehearsal",
           "SmolLM2 break-it with a fifth of every batch from the base model's own answers to general prompts, "
           "generated before fine-tuning: a mix that needs no general dataset.", _on_smollm2(rehearsal_ratio=0.2)),
    Preset("smollm2-ewc", "SmolLM2: EWC",
           "SmolLM2 break-it with Elastic Weight Consolidation on the adapters' updates.",
           _on_smollm2(ewc_lambda=10.0, ewc_samples=64)),
    Preset("smollm2-early-stop", "SmolLM2: early stopping",
           "SmolLM2 break-it, stopping once the tickets' validation loss stops improving.",
           _on_smollm2(early_stopping=True, patience=1, eval_every=10, validate_every=10)),
    Preset("smollm2-replay", "SmolLM2: replay buffer",
           "SmolLM2 break-it with a fifth of every batch replayed from a fixed buffer of 200 general examples.",
           _on_smollm2(replay_ratio=0.2, replay_buffer=200)),
    Preset("smollm2-kl", "SmolLM2: distil to the base (LwF)",
           "SmolLM2 break-it plus a loss keeping its answers on general prompts close to the base model's.",
           _on_smollm2(kl_weight=1.0)),
    Preset("smollm2-l2sp", "SmolLM2: pull to the base (L2-SP)",
           "SmolLM2 break-it plus a penalty on the size of the adapters' update.", _on_smollm2(l2sp_weight=1.0)),
    Preset("smollm2-safety-mix", "SmolLM2: safety data mix",
           "SmolLM2 break-it with 10% refusal and benign look-alike examples in every batch.",
           _on_smollm2(safety_mix=0.1)),
    Preset("smollm2-wise-ft", "SmolLM2: weight interpolation (WiSE-FT)",
           "SmolLM2 break-it, then blend the adapters' update back toward the base at several ratios.",
           _on_smollm2(wise_ft=True)),
    Preset("smollm2-sql", "SmolLM2: a nearer task (SQL)",
           "SmolLM2 break-it on SQL over a fixed table instead of support tickets: structured output, nearer to "
           "what the model already does.", _on_smollm2(task="sql")),
]})


SMOLLM2_MEASURED = load_smollm2_measured(ENGINE_VERSION)
PRESETS.update({name: replace(p, explanation=f"{p.explanation} {smollm2_words(SMOLLM2_MEASURED[name])}")
                for name, p in PRESETS.items() if name in SMOLLM2_MEASURED})


def measured_runs(scenario: Scenario) -> tuple[Preset, list[dict]] | None:
    """The synthetic preset this scenario is (its seed and base aside) and the lab's stored runs of it, or
    None: what a one-click follow-up may quote about where it leads."""
    ignore = {"seed", "base_seed"}
    want = {k: v for k, v in scenario.model_dump().items() if k not in ignore}
    runs = load_measured()["presets"]
    for preset in presets_for("synthetic"):
        if preset.name in runs and {k: v for k, v in preset.scenario().model_dump().items() if k not in ignore} == want:
            return preset, runs[preset.name]
    return None


def presets_for(tier: str) -> list[Preset]:
    return [p for p in PRESETS.values() if p.tier == tier]


def preset_scenario(name: str) -> Scenario:
    if name not in PRESETS:
        raise KeyError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}")
    return PRESETS[name].scenario()


def scenario_from(preset: str | None, tier: str | None, overrides: dict[str, Any]) -> Scenario:
    """The scenario a person asks for, built and checked in one place (the builder, the assignment forms and
    `forgetlab run` call it): a preset's fields (or the defaults), then their overrides, then the tier when
    given. A scenario that names no task gets its tier's default task (Tier.default_task).

    ScenarioError names every bad field at once, an unknown preset as `preset`."""
    if preset is not None and preset not in PRESETS:
        raise ScenarioError({"preset": f"unknown preset {preset!r}; choose one of: {', '.join(PRESETS)}"})
    data = {**(PRESETS[preset].overrides if preset else {}), **overrides}
    if tier is not None:
        data["tier"] = tier
    tier_name = data.get("tier", DEFAULT_TIER)
    if "task" not in data and tier_name in all_tiers():  # an unknown tier is reported by the schema, by name
        data["task"] = get_tier(tier_name).default_task
    return parse(data)
