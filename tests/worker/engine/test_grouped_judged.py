"""A group's judged evaluation (SmolLM2's suites): every member's generations decoded in the same batches, each row
through its own member's adapters, give what each member's own evaluation gives, within the tolerance of
docs/grouped-training.md (texts equal; NLLs within 1e-4 relative, a single probe's within 1e-4 nats). A real
2-block SmolLM2 built from the shipped GGUF (tests/conftest.py's `truncated`)."""

import pytest
import torch

from forgetlab.core.scenario import parse
from forgetlab.core.tiers import get_tier
from forgetlab.worker.engine.evaluate import decoded_names, evaluate, generate_all, generate_copies
from forgetlab.worker.engine.grouped import Member, train_group
from forgetlab.worker.engine.train import Trainee, train

from .test_grouped import RELATIVE, differences, group_apart, untimed

# 4 steps (the last of 2 rows) and points at 0, 3 and 4; with a 25% mix, 12 task rows a batch: 5 steps, points at
# 0, 3 and 5.
SMOL = {"tier": "smollm2", "task": "support", "method": "lora", "epochs": 1, "task_examples": 50, "batch_size": 16,
        "eval_every": 3}


@pytest.fixture(scope="module")
def small_tier(truncated):
    tier = get_tier("smollm2").with_model(truncated)
    tier.final_probes, tier.run_probes, tier.generation_tokens = 4, 3, 12  # a few probes, short answers
    return tier


def test_every_members_generations_and_references_equal_its_own(small_tier):
    """Adapters moved far apart (random B), ranks 8, 8 and 4 (the stacked and the per-member paths), so that the
    members answer differently."""
    runs = [Trainee(parse({**SMOL, "seed": seed, "lora_rank": rank}), tier=small_tier)
            for seed, rank in ((0, 8), (1, 8), (2, 4))]
    model, routing = group_apart(runs, 0.05)
    encoded = runs[0].encoded
    names = decoded_names(encoded, encoded.suite.capabilities + encoded.suite.tasks)
    assert "knowledge" not in names and "instruction" in names  # multiple choice alone is never decoded
    together = generate_copies(model, encoded, names, routing, [0, 1, 2])
    alone = [generate_all(run.model, encoded, names) for run in runs]
    for own, mine in zip(alone, together):
        for name in names:
            assert mine[name][0] == own[name][0], name  # texts and cuts
            assert torch.allclose(mine[name][1][1], own[name][1][1], rtol=RELATIVE), name  # reference NLLs
            assert torch.equal(mine[name][1][0], own[name][1][0]), name  # exact match of the references
    texts = [[text for name in names for text, _ in own[name][0]] for own in alone]
    assert texts[0] != texts[1] and texts[1] != texts[2]  # the members really answer differently
    for run, mine in zip(runs, together):  # and a whole evaluation from the group's decode
        assert not differences(evaluate(run.model, encoded), evaluate(run.model, encoded, generated=mine))


def test_smollm2_members_train_in_a_group_as_they_train_alone(small_tier, monkeypatch):
    """Three SmolLM2 runs, one of another rank: every event of each (curves, samples, summary) as it trains alone,
    their evaluation points decoded together."""
    from forgetlab.worker.engine import grouped_eval
    from forgetlab.worker.engine import train as train_module

    monkeypatch.setattr(train_module, "VALIDATION_EXAMPLES", 8)  # alone and grouped alike: a quarter of the cost
    decoded_together = []
    real = grouped_eval.generate_copies
    monkeypatch.setattr(grouped_eval, "generate_copies",
                        lambda *a, **k: decoded_together.append(list(a[4])) or real(*a, **k))
    scenarios = [parse({**SMOL, "seed": 0, "lr": 2e-3}), parse({**SMOL, "seed": 1, "lr": 1e-3, "mix_ratio": 0.25}),
                 parse({**SMOL, "seed": 2, "lr": 3e-3, "lora_rank": 4})]
    alone = []
    for s in scenarios:
        events = []
        train(s, lambda e, events=events: events.append(e.model_dump(mode="json")), tier=small_tier)
        alone.append(events)
    grouped_events = [[] for _ in scenarios]
    train_group([Member(s, lambda e, events=events: events.append(e.model_dump(mode="json")), tier=small_tier)
                 for s, events in zip(scenarios, grouped_events)])
    # Step 0 is the base's, measured once; the mixed run has 12 task rows a batch and trains longer: the others
    # end at step 4 together without it, and it ends at step 5 alone.
    assert decoded_together == [[0, 1, 2], [0, 2], [1]]
    for index, (a, g) in enumerate(zip(alone, grouped_events)):
        assert [e["type"] for e in a] == [e["type"] for e in g], index
        assert not differences(untimed(a), untimed(g)), (index, differences(untimed(a), untimed(g))[:5])
