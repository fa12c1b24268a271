"""Zero overlap, for every task and every mitigation pool: a run trains and validates only on
prompts that are never probed, and no mitigation ever sees a never-rehearsed fact.

The tier is the real synthetic tier, wrapped to record every pair it hands to the engine; a short run
with every data-using mitigation switched on then shows what training, validation and the pools drew."""

import copy

import pytest

from forgetlab.core.scenario import parse
from forgetlab.core.tiers import get_tier
from forgetlab.core.tiers.synthetic import world
from forgetlab.worker.engine.train import train

ALL_POOLS = {"mix_ratio": 0.1, "replay_ratio": 0.1, "safety_mix": 0.1, "rehearsal_ratio": 0.1, "ewc_lambda": 1.0,
             "kl_weight": 0.5, "early_stopping": True, "rehearsal_prompts": 64, "ewc_samples": 32}


def recording(tier):
    """The tier, with every data method recording what it returns under the method's name."""
    seen: dict[str, list] = {}
    wrapped = copy.copy(tier)

    def recorder(name: str, method):
        def record(*args, **kwargs):
            out = method(*args, **kwargs)
            seen.setdefault(name, []).extend(p if isinstance(p, str) else p[0] for p in out)
            return out
        return record

    for name in ("task_examples", "validation_examples", "general_examples", "safety_examples",
                 "rehearsal_prompts"):
        setattr(wrapped, name, recorder(name, getattr(tier, name)))
    return wrapped, seen


@pytest.mark.parametrize("task", world.TASKS)
def test_no_probe_or_unrehearsed_fact_reaches_training_validation_or_a_pool(task):
    tier, seen = recording(get_tier("synthetic"))
    train(parse({"task": task, "task_examples": 64, "epochs": 1, "batch_size": 32, "eval_every": 4, **ALL_POOLS}),
          tier=tier)
    probes = world.probe_suite().probes
    never = {p.prompt for p in probes if p.group == "never rehearsed"}
    held_out = {p.prompt for p in probes if p.capability != "knowledge"}
    assert set(seen) == {"task_examples", "validation_examples", "general_examples", "safety_examples",
                         "rehearsal_prompts"}
    for pool, prompts in seen.items():
        prompts = set(prompts)
        assert prompts, pool
        assert not prompts & held_out, f"{pool} holds probe prompts"
        assert not prompts & never, f"{pool} holds never-rehearsed facts"
    assert not set(seen["task_examples"]) & set(seen["validation_examples"]), "validation overlaps training"
    # The questions inside support-diverse tickets are general prompts too: none is a probe or unrehearsed.
    inner = {" ".join(p.split()[3:]) for p in seen["task_examples"] if p.split()[2:3] == ["help"]}
    assert not inner & held_out and not inner & never


def test_knowledge_probes_report_both_halves():
    summary = train(parse({"task_examples": 64, "epochs": 1, "batch_size": 32, "eval_every": 4}))
    split = summary.fact_split
    assert set(split) == {"rehearsed", "never rehearsed"}
    for half in split.values():
        assert set(half) == {"baseline", "final", "baseline_nll", "final_nll"}
    overall = summary.baseline["knowledge"]
    assert overall == pytest.approx((split["rehearsed"]["baseline"] + split["never rehearsed"]["baseline"]) / 2)
