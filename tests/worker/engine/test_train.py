"""The training loop and each mitigation do what they claim, on the shipped base, on CPU."""

import copy

import pytest
import torch

from forgetlab.core.scenario import parse
from forgetlab.core.tiers import get_tier
from forgetlab.core.tiers.synthetic import world
from forgetlab.worker.engine.encoding import encode
from forgetlab.worker.engine.evaluate import evaluate
from forgetlab.worker.engine.mitigations import Context, build
from forgetlab.worker.engine.mitigations.ewc import EWC
from forgetlab.worker.engine.mitigations.kl import KLToBase
from forgetlab.worker.engine.train import Cancelled, compose_batch, fine_tune, train
from forgetlab.worker.engine.weights import snapshot
from forgetlab.worker.engine.wise import interpolate

TINY = {"task_examples": 64, "epochs": 2, "batch_size": 16, "eval_every": 2, "lr": 3e-3}


def tiny(**changes):
    return parse({**TINY, **changes})


def dumped(events: list):
    """on_event that keeps each typed event as the JSON the store and the API see."""
    return lambda event: events.append(event.model_dump(mode="json"))


def _context(base):
    model, tokenizer = copy.deepcopy(base[0]), base[1]
    return Context(model, tokenizer, snapshot(model), 32, seed=0, tier=get_tier("synthetic"), base_model=base[0])


def test_event_schema_and_summary():
    events = []
    summary = train(tiny(), dumped(events)).model_dump(mode="json")
    types = [e["type"] for e in events]
    assert types[0] == "started" and types[-1] == "finished"
    assert types[1:3] == ["metrics", "samples"]
    metrics = [e for e in events if e["type"] == "metrics"]
    assert [m["step"] for m in metrics] == [0, 2, 4, 5, 6, 8]  # every eval_every, the early point 5, the end
    for m in metrics:
        assert set(m["capabilities"]) == set(world.CAPABILITIES)
        assert {"step", "epoch", "train_loss", "val_loss", "task", "format_rigidity", "refusal",
                "over_refusal"} <= set(m)
        assert m["task"]["name"] == "support-narrow"
    samples = [e for e in events if e["type"] == "samples"][-1]["samples"]
    assert {"capability", "prompt", "expected", "base", "output"} <= set(samples[0])
    assert set(summary["baseline"]) == set(world.CAPABILITIES)
    for key in ("final", "forgetting", "max_drop", "retention", "bwt", "task_accuracy", "seconds", "steps"):
        assert key in summary
    assert summary["steps"] == 8 and events[-1]["summary"] == summary
    # The summary is the curves' endpoints: both measured on the full suite.
    assert summary["baseline"] == {c: v["accuracy"] for c, v in metrics[0]["capabilities"].items()}
    assert summary["final"] == {c: v["accuracy"] for c, v in metrics[-1]["capabilities"].items()}
    assert summary["task_accuracy"]["final"] == metrics[-1]["task"]["accuracy"]


def test_same_config_and_seed_same_curves():
    def curves(scenario):
        events = []
        train(scenario, dumped(events))
        return [{k: v for k, v in e.items() if k != "seconds"} for e in events if e["type"] == "metrics"]

    assert curves(tiny(seed=3)) == curves(tiny(seed=3))
    assert curves(tiny(seed=3)) != curves(tiny(seed=4))


def test_lora_leaves_base_weights_bit_identical():
    _, model, base_model = fine_tune(tiny(method="lora"))
    base = dict(base_model.named_parameters())
    moved = 0
    for name, p in model.named_parameters():
        if "lora_" in name:
            moved += int(p.abs().sum() > 0)
            continue
        key = name.removeprefix("base_model.model.").replace(".base_layer.", ".")
        assert torch.equal(p, base[key]), key
    assert moved > 0  # the adapters did train


def test_mix_ratio_holds_in_sampled_batches(base):
    scenario = tiny(mix_ratio=0.25, batch_size=32)
    mitigations = build(scenario, _context(base))
    task = encode(base[1], world.examples("support-narrow", 64, 0), length=32)
    ticket = base[1].convert_tokens_to_ids("ticket")
    shares = []
    for step in range(20):
        batch = compose_batch(task.take(torch.arange(scenario.task_slots)), mitigations, step)
        shares.append((batch.input_ids[:, 1] != ticket).float().mean().item())
    assert len(batch) == 32
    assert sum(shares) / len(shares) == pytest.approx(0.25, abs=0.02)


def test_ewc_penalty_is_zero_at_start_and_positive_after_updates(base):
    ctx = _context(base)
    ewc = EWC(ctx, strength=1.0, samples=32)
    assert ewc.penalty(ctx.model).item() == 0.0
    assert all(f.min() >= 0 for f in ewc.fisher.values())
    optimizer = torch.optim.SGD(ctx.model.parameters(), lr=0.1)
    batch = encode(ctx.tokenizer, world.examples("support-narrow", 8, 0))
    ctx.model(input_ids=batch.input_ids, labels=batch.labels).loss.backward()
    optimizer.step()
    assert ewc.penalty(ctx.model).item() > 0


def test_kl_to_base_is_zero_at_start(base):
    ctx = _context(base)
    kl = KLToBase(ctx, strength=1.0, rows_per_step=8)
    ctx.model.eval()
    assert kl.divergence(ctx.model, torch.arange(16)).item() == pytest.approx(0.0, abs=1e-6)


def test_early_stopping_stops_on_its_own_cadence_and_restores_the_best_weights():
    """Checks every 3 steps (apart from eval_every 2); with patience 1 and min_delta 1.0 the run stops at
    the first check that does not improve the loss by a whole nat, with the weights of the check before."""
    events = []
    scenario = tiny(early_stopping=True, patience=1, min_delta=1.0, validate_every=3, epochs=4)
    summary = train(scenario, dumped(events)).model_dump(mode="json")
    steps, best = summary["steps"], summary["restored_step"]
    assert summary["early_stopped"] and steps < scenario.total_steps
    assert steps % 3 == 0 and best == steps - 3  # stopped on its own cadence, one check after its best
    stop = next(e for e in events if e["type"] == "early_stopped")
    assert f"restored the weights of step {best}" in stop["reason"]
    last_metrics = [e for e in events if e["type"] == "metrics"][-1]
    assert stop["step"] == last_metrics["step"] == steps
    assert summary["final"] == {c: v["accuracy"] for c, v in last_metrics["capabilities"].items()}
    # The restored model is the model of the best check: its validation loss is that of the same run,
    # unstopped, at that step (and lower by more than min_delta than at the step it stopped).
    plain = []
    train(tiny(epochs=4, eval_every=3), dumped(plain))
    at = {e["step"]: e["val_loss"] for e in plain if e["type"] == "metrics"}
    assert last_metrics["val_loss"] == pytest.approx(at[best], rel=1e-6)
    assert at[steps] >= at[best] - 1.0


@pytest.mark.parametrize("method", ["full", "lora"])
def test_wise_ft_endpoints_are_base_and_fine_tuned(method, base):
    _, model, base_model = fine_tune(tiny(method=method))
    ids = encode(base[1], world.examples("instruction", 8, 0)).input_ids
    with torch.no_grad():
        assert torch.allclose(interpolate(base_model, model, 0.0)(input_ids=ids).logits,
                              base_model(input_ids=ids).logits, atol=1e-5)
        model.eval()
        assert torch.allclose(interpolate(base_model, model, 1.0)(input_ids=ids).logits,
                              model(input_ids=ids).logits, atol=1e-4)


def test_cancellation_is_checked_every_step():
    calls = []

    def cancel_on_third() -> bool:
        calls.append(1)
        return len(calls) >= 3

    with pytest.raises(Cancelled) as err:
        train(tiny(), should_cancel=cancel_on_third)
    assert err.value.step == 2


def test_base_level_is_the_first_point(base, encoded_suite):
    events = []
    train(tiny(epochs=1), dumped(events))
    first = next(e for e in events if e["type"] == "metrics")
    full = evaluate(base[0], encoded_suite)
    assert first["step"] == 0
    # The recipe's quality bar: the bases sit between 0.80 and 0.97 by design (docs/protocols/world-room.md).
    assert all(first["capabilities"][c]["accuracy"] >= 0.8 for c in world.CAPABILITIES)
    assert full["tasks"]["support-narrow"]["accuracy"] == first["task"]["accuracy"] == 0.0
