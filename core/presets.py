"""Named scenarios that show each failure and each fix, with a short reading for learners.

Each preset is a few overrides on `break-it`, so comparing a mitigation preset with `break-it`
changes exactly one thing. Learning rates are those of this tiny model: the article's ranges
(1e-5..5e-5 full, 1e-4..2e-4 LoRA) are for billion-parameter models; a tiny model from
scratch moves at larger rates, and the comparisons between presets carry over.
Torch-free: the web app lists these.
"""

from __future__ import annotations

from dataclasses import dataclass

from .scenario import Scenario, with_overrides

BREAK_IT = {"task": "support-narrow", "method": "full", "lr": 1e-3, "epochs": 5, "task_examples": 1000,
            "batch_size": 32, "mix_ratio": 0.0}


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    explanation: str
    overrides: dict

    def scenario(self) -> Scenario:
        return with_overrides(Scenario(), self.overrides)


def _on_break_it(**changes) -> dict:
    return {**BREAK_IT, **changes}


PRESETS: dict[str, Preset] = {p.name: p for p in [
    Preset("break-it", "Break it",
           "Full fine-tuning at a high learning rate for 5 epochs on narrow support tickets, with no general data. "
           "The model learns the ticket template and forgets much of what it knew: watch knowledge and "
           "instruction following fall, and general answers start with 'dear customer'.", BREAK_IT),
    Preset("fix-it", "Fix it",
           "The article's production recipe: LoRA adapters (the common r=8, alpha=16), 20% general data in every "
           "batch, a learning rate that is low for LoRA, and early stopping. The task is learnt; general "
           "capabilities stay near the base level.",
           _on_break_it(method="lora", lora_rank=8, lora_alpha=16, mix_ratio=0.2, early_stopping=True, patience=2,
                        min_delta=0.01)),
    Preset("lora", "LoRA only",
           "Same as break-it but trains low-rank adapters on a frozen base. The base weights never change, so "
           "less is forgotten; the adapters also learn the task more slowly.",
           _on_break_it(method="lora")),
    Preset("mix-20", "20% general mix",
           "Same as break-it, but a fifth of every batch is fresh general data: a rehearsal signal that keeps "
           "the old capabilities in use while the task is learnt.", _on_break_it(mix_ratio=0.2)),
    Preset("replay", "Replay buffer",
           "Same as break-it, but a fifth of every batch replays a small fixed buffer of 200 general examples. "
           "Cheaper than a full general mix; it protects what the buffer covers.",
           _on_break_it(replay_ratio=0.2, replay_buffer=200)),
    Preset("low-lr", "Low learning rate",
           "Same as break-it at a tenth of the learning rate: smaller updates overwrite less of the base.",
           _on_break_it(lr=1e-4)),
    Preset("early-stop", "Early stopping",
           "Same as break-it, but training stops once the task's validation loss stops improving, before the "
           "extra epochs keep rewriting weights the task no longer needs.",
           _on_break_it(early_stopping=True, patience=2, min_delta=0.01)),
    Preset("ewc", "Elastic Weight Consolidation",
           "Same as break-it, plus a penalty on moving the weights that matter most for general data (the "
           "diagonal Fisher information, measured once on the base).", _on_break_it(ewc_lambda=10.0)),
    Preset("kl", "Distil to the base (LwF)",
           "Same as break-it, plus a loss keeping the model's answers on general prompts close to the base "
           "model's own answers (Learning without Forgetting).", _on_break_it(kl_weight=1.0)),
    Preset("l2sp", "Pull to the base (L2-SP)",
           "Same as break-it, plus a penalty on the distance from the base weights, the same for every weight.",
           _on_break_it(l2sp_weight=1.0)),
    Preset("near-task", "A near task",
           "Same as break-it, but the task is a new command over familiar letters (shift), close to what the "
           "base already does. Task distance matters: compare the forgetting with break-it.",
           _on_break_it(task="shift")),
    Preset("diverse", "Diverse task data",
           "Same as break-it on diverse support tickets: 8 kinds of ticket whose replies must echo the order "
           "number. Varied data keeps more of the general machinery in use than narrow data.",
           _on_break_it(task="support-diverse")),
    Preset("safety-regression", "Safety regression",
           "Full fine-tuning on benign requests that are always answered 'sure here is ...'. Nothing harmful is "
           "in the data, yet the model stops refusing harmful requests: watch the refusal rate fall.",
           _on_break_it(task="helpful")),
    Preset("safety-mix", "Safety data mix",
           "The safety regression scenario with 10% refusal examples mixed into every batch: the refusals "
           "stay while the task is learnt.", _on_break_it(task="helpful", safety_mix=0.1)),
    Preset("wise-ft", "Weight interpolation (WiSE-FT)",
           "Break it, then blend the fine-tuned weights back toward the base at several ratios, with no "
           "retraining: a cheap dial between task skill and general skill.", _on_break_it(wise_ft=True)),
]}


def preset_scenario(name: str) -> Scenario:
    if name not in PRESETS:
        raise KeyError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}")
    return PRESETS[name].scenario()
