"""Grouped training: each member of a group reports what the same run trained alone reports, within the
tolerance docs/grouped-training.md states (float32 on CPU: losses and NLLs within 1e-4 relative, a single
probe's NLL within 1e-4 relative or 1e-4 nats; accuracies, outputs and steps equal)."""

import math

import pytest

from forgetlab.core.scenario import parse
from forgetlab.worker.engine.grouped import Member, group_key, train_group
from forgetlab.worker.engine.train import Cancelled, train

SMALL = {"method": "lora", "task_examples": 64, "epochs": 2, "batch_size": 16, "eval_every": 2}
TIMES = {"seconds", "setup_seconds", "eval_seconds", "train_seconds"}
RELATIVE = 1e-4
PROBE_NATS = 1e-4  # a single probe's NLL (summary's baseline_items, final_items): small NLLs move by nats, not shares


def members_scenarios():
    """Four runs that differ in seed, learning rate, mix, rank and mitigation (one with EWC, one with KL to the
    base, one that stops early: a validation loss must improve by 0.5 between checks, so it stops at its second
    check)."""
    return [parse({**SMALL, "seed": 0, "lr": 3e-3, "early_stopping": True, "patience": 1, "min_delta": 0.5,
                   "validate_every": 2}),
            parse({**SMALL, "seed": 1, "lr": 1e-3, "mix_ratio": 0.25, "kl_weight": 1.0}),
            parse({**SMALL, "seed": 2, "lr": 5e-3, "ewc_lambda": 50.0, "ewc_samples": 32, "lora_rank": 4}),
            parse({**SMALL, "seed": 3, "lr": 2e-3, "mix_ratio": 0.5, "replay_ratio": 0.125})]


def cancel_after(steps: int):
    """A cancel check that says yes before step `steps` trains (asked once per step, alone or grouped)."""
    asked = []
    return lambda: asked.append(1) or len(asked) > steps


def untimed(value):
    if isinstance(value, dict):
        return {k: untimed(v) for k, v in value.items() if k not in TIMES}
    if isinstance(value, list):
        return [untimed(v) for v in value]
    return value


def differences(alone, grouped, path="") -> list[str]:
    """Where two reports differ beyond the tolerance: floats within RELATIVE, everything else equal."""
    if isinstance(alone, dict) and isinstance(grouped, dict):
        if alone.keys() != grouped.keys():
            return [f"{path}: keys {sorted(alone)} != {sorted(grouped)}"]
        return [d for k in alone for d in differences(alone[k], grouped[k], f"{path}.{k}")]
    if isinstance(alone, list) and isinstance(grouped, list):
        if len(alone) != len(grouped):
            return [f"{path}: {len(alone)} items != {len(grouped)}"]
        return [d for i, (a, g) in enumerate(zip(alone, grouped)) for d in differences(a, g, f"{path}[{i}]")]
    if isinstance(alone, float) and isinstance(grouped, float) and not path.endswith("accuracy"):
        close = 1e-7 if "_items" not in path else PROBE_NATS
        return [] if math.isclose(alone, grouped, rel_tol=RELATIVE, abs_tol=close) else [f"{path}: {alone} != {grouped}"]
    return [] if alone == grouped else [f"{path}: {alone!r} != {grouped!r}"]


def test_each_member_equals_its_lone_run(monkeypatch):
    """Also checks that the members' evaluation points were measured together (worker/engine/grouped_eval.py),
    their sample outputs decoded together: their figures and samples are then the batched evaluation's, compared
    with the lone runs' own."""
    from forgetlab.worker.engine import grouped, grouped_eval

    together, decoded = [], []
    monkeypatch.setattr(grouped, "measure_members",
                        lambda *a, real=grouped.measure_members: together.append(real(*a)) or together[-1])
    monkeypatch.setattr(grouped_eval, "greedy_members",
                        lambda *a, real=grouped_eval.greedy_members: decoded.append(real(*a)) or decoded[-1])
    scenarios = members_scenarios()
    cancelled = 6  # the last member is cancelled half-way through its 12 steps

    alone = []
    for index, scenario in enumerate(scenarios):
        events = []
        try:
            train(scenario, lambda e, events=events: events.append(e.model_dump(mode="json")),
                  should_cancel=cancel_after(cancelled) if index == 3 else lambda: False)
        except Cancelled as e:
            events.append({"cancelled": e.step})
        alone.append(events)

    grouped = [[] for _ in scenarios]
    outcomes = train_group([Member(s, lambda e, events=events: events.append(e.model_dump(mode="json")),
                                   should_cancel=cancel_after(cancelled) if i == 3 else lambda: False)
                            for i, (s, events) in enumerate(zip(scenarios, grouped))])
    grouped[3].append({"cancelled": outcomes[3].cancelled.step})

    assert [o.summary is not None for o in outcomes] == [True, True, True, False]
    assert max(map(len, together)) == 4  # every member at one point, in one batched evaluation
    assert max(map(len, decoded)) > 1  # some samples were decoded, for several members in one batch
    assert sum(map(len, together)) == sum(e.get("type") == "metrics" for events in grouped for e in events) - 4
    assert outcomes[0].summary.early_stopped and outcomes[0].summary.steps == 4  # it left; the others went on
    assert outcomes[1].summary.steps == 12
    assert alone[3][-1] == {"cancelled": cancelled} and alone[0][-1]["type"] == "finished"
    for index, (a, g) in enumerate(zip(alone, grouped)):
        assert [e.get("type") for e in a] == [e.get("type") for e in g], index
        found = differences(untimed(a), untimed(g))
        assert not found, f"member {index}: {found[:5]}"
    # The members really trained apart: their final task losses differ.
    finals = [[e for e in events if e.get("type") == "metrics"][-1]["val_loss"] for events in grouped[:3]]
    assert len(set(finals)) == 3


def test_members_of_one_rank_train_through_one_bmm(monkeypatch):
    """Members that adapt the same layers at one rank, on as many rows, take the stacked path (one bmm pair per
    layer) and still equal their lone runs within the tolerance, also across steps that take the loop."""
    from forgetlab.worker.engine import grouped

    stacked = []
    monkeypatch.setattr(grouped, "_stackable", lambda *a, real=grouped._stackable: stacked.append(real(*a)) or stacked[-1])
    scenarios = members_scenarios()[1:4:2] + [parse({**SMALL, "seed": 4, "lr": 4e-3})]  # mixes, replay, plain
    alone = [train(s).model_dump(mode="json") for s in scenarios]
    outcomes = train_group([Member(s) for s in scenarios])
    assert True in stacked  # (an epoch's short last batches differ in rows: those steps take the loop)
    for index, (a, o) in enumerate(zip(alone, outcomes)):
        found = differences(untimed(a), untimed(o.summary.model_dump(mode="json")))
        assert not found, f"member {index}: {found[:5]}"


def test_what_does_not_group_is_refused():
    lora = parse(SMALL)
    assert group_key(lora) == group_key(parse({**SMALL, "seed": 5, "lora_rank": 4}))
    assert group_key(parse({**SMALL, "method": "full"})) is None
    assert group_key(parse({**SMALL, "lora_dropout": 0.1})) is None
    assert group_key(lora) != group_key(parse({**SMALL, "base_seed": 1}))
    with pytest.raises(ValueError, match="cannot train as one group"):
        train_group([Member(lora), Member(parse({**SMALL, "method": "full"}))])


def test_a_member_resumes_from_its_checkpoint_in_a_new_group(tmp_path):
    """A member stopped mid-group (its worker died, say) resumes from its last checkpoint in another group and
    ends as the same run trained alone, uninterrupted, ends."""
    from forgetlab.worker.engine.checkpoint import Checkpoints

    scenarios = members_scenarios()
    resumed = scenarios[1]  # 12 steps; a checkpoint every 4, so the one of step 4 is the last before the stop
    path = tmp_path / "member.pt"
    first = train_group([Member(scenarios[0]),
                         Member(resumed, should_cancel=cancel_after(6), checkpoints=Checkpoints(path, 4))])
    assert first[1].cancelled is not None and path.exists()
    second = train_group([Member(resumed, checkpoints=Checkpoints(path, 4)), Member(scenarios[3])])
    alone = train(resumed)
    found = differences(untimed(alone.model_dump(mode="json")), untimed(second[0].summary.model_dump(mode="json")))
    assert not found, found[:5]
    assert second[1].summary is not None  # the member beside it trained to its end


def group_apart(runs, spread: float):
    """The group's model and routing over the runs' adapters, every adapter's B drawn at random (normal, std
    `spread`, seeded) so that the members answer differently; every model in evaluation mode."""
    import copy

    import torch

    from forgetlab.worker.engine import grouped

    routing = grouped.Routing()
    model = copy.deepcopy(runs[0].base_model).requires_grad_(False).eval()
    torch.manual_seed(0)
    for index, run in enumerate(runs):
        grouped._attach(model, routing, index, run.model)
        with torch.no_grad():
            for name, p in run.model.named_parameters():
                if "lora_B" in name:
                    p.normal_(0.0, spread)
        run.model.eval()
    return model, routing


def test_batched_evaluation_equals_each_members_own():
    """The group's batched pieces against each member's own model, with adapters moved far apart (random B, so the
    members answer differently): probe scores, validation losses and greedy decodes (worker/engine/grouped_eval.py)."""
    import torch

    from forgetlab.worker.engine import grouped_eval
    from forgetlab.worker.engine.decode import greedy
    from forgetlab.worker.engine.scoring import score
    from forgetlab.worker.engine.train import Trainee, validation_loss

    runs = [Trainee(s) for s in members_scenarios()[1:]]  # ranks 2, 4 and 2: the stacked and per-member paths
    model, routing = group_apart(runs, 0.5)
    members = list(range(len(runs)))
    suite = runs[0].encoded
    for name, batch in suite.batches.items():
        together = grouped_eval.score_members(model, routing, members, batch)
        for k, run in enumerate(runs):
            correct, nll, first = score(run.model, batch)
            assert torch.allclose(together[1][k], nll, rtol=RELATIVE), name
            assert (together[0][k] == correct).all() and (together[2][k] == first).all(), name
    losses = grouped_eval.validation_losses(model, routing, {i: r.val_data for i, r in enumerate(runs)}, 0)
    for index, run in enumerate(runs):
        assert math.isclose(losses[index], validation_loss(run.model, run.val_data), rel_tol=RELATIVE)
    prompts = [p.prompt for p in suite.suite.probes[::7]]
    texts = grouped_eval.greedy_members(model, routing, runs[0].tokenizer, [(i, prompts, 6) for i in members])
    alone = [greedy(run.model, run.tokenizer, prompts, max_new_tokens=6) for run in runs]
    assert [texts[i] for i in members] == alone
    assert alone[0] != alone[1] and alone[1] != alone[2]  # the members really answer differently
