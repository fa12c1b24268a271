"""The held-out split in the engine: the public part is what the curves and summary show, the private part is
aggregated from the same per-probe results (no second pass), and the two add up to the whole suite."""

from forgetlab.core.holdout import Holdout, private_flags
from forgetlab.core.scenario import parse
from forgetlab.core.tiers import get_tier
from forgetlab.worker.engine.base_view import base_view
from forgetlab.worker.engine.train import train

TINY = {"task_examples": 64, "epochs": 2, "batch_size": 16, "eval_every": 2, "lr": 3e-3}
SPLIT = Holdout(share=0.5, salt="test-salt")


def _run(holdout):
    events = []
    summary = train(parse(TINY), lambda e: events.append(e.model_dump(mode="json")), holdout=holdout)
    return summary.model_dump(mode="json"), events


def test_parts_add_up_to_the_whole_suite_and_samples_are_public():
    whole, plain_events = _run(None)
    split, events = _run(SPLIT)
    assert whole["private"] is None and all(e.get("private") is None for e in plain_events if e["type"] == "metrics")
    private = split["private"]
    assert private is not None
    base = base_view(get_tier("synthetic"), "support-narrow")
    for name in base.full.suite.capabilities:
        prompts = [p.prompt for p in base.full.probes(name)]
        flags = private_flags(SPLIT, name, prompts)
        n, k = len(flags), sum(flags)
        assert 0 < k < n and abs(k - n / 2) <= 1
        # public share + private share = the whole suite's accuracy, at the base and at the end
        for key in ("baseline", "final"):
            mixed = (split[key][name] * (n - k) + private[key][name] * k) / n
            assert abs(mixed - whole[key][name]) < 1e-6, (name, key)  # float32 means
        assert len(split["final_items"][name]) == n - k  # the summary keeps only the public probes' items
    assert abs((split["task_accuracy"]["final"] + private["task_accuracy"]["final"]) / 2
               - whole["task_accuracy"]["final"]) < 0.1
    metrics = [e for e in events if e["type"] == "metrics"]
    assert all(m["private"]["task"]["name"] == "support-narrow" for m in metrics)
    assert split["final"] == {c: v["accuracy"] for c, v in metrics[-1]["capabilities"].items()}
    assert private["final"] == {c: v["accuracy"] for c, v in metrics[-1]["private"]["capabilities"].items()}
    shown = {s["prompt"] for e in events if e["type"] == "samples" for s in e["samples"]}
    private_prompts = {p.prompt for name in base.full.suite.capabilities + base.full.suite.tasks
                       for p, f in zip(base.full.probes(name),
                                       private_flags(SPLIT, name, [q.prompt for q in base.full.probes(name)])) if f}
    assert shown and not shown & private_prompts


def test_a_grouped_member_keeps_its_split():
    from forgetlab.worker.engine.grouped import Member, train_group

    lora = parse({**TINY, "method": "lora", "epochs": 1})
    split, plain = train_group([Member(lora, holdout=SPLIT), Member(parse({**TINY, "method": "lora", "epochs": 1,
                                                                          "seed": 1}))])
    assert split.summary.private is not None and plain.summary.private is None
    alone = train(lora, holdout=SPLIT).private  # accuracies equal alone and grouped (docs/grouped-training.md)
    for key in ("baseline", "final", "max_drop", "task_accuracy"):
        assert getattr(split.summary.private, key) == getattr(alone, key), key


def test_a_resumed_run_keeps_its_private_baseline(tmp_path):
    from forgetlab.core.errors import Cancelled
    from forgetlab.worker.engine.checkpoint import Checkpoints
    from forgetlab.worker.engine.train import fine_tune

    scenario = parse({"task_examples": 50, "epochs": 2, "batch_size": 4, "eval_every": 10})  # 26 steps
    uninterrupted = train(scenario, holdout=SPLIT)
    path, asked = tmp_path / "run.pt", []
    try:
        fine_tune(scenario, None, should_cancel=lambda: asked.append(1) or len(asked) > 15,
                  checkpoints=Checkpoints(path, every=10), holdout=SPLIT)
        raise AssertionError("the first attempt should have stopped")
    except Cancelled:
        pass
    resumed, _, _ = fine_tune(scenario, None, checkpoints=Checkpoints(path, every=10), holdout=SPLIT)
    assert resumed.private.baseline == uninterrupted.private.baseline  # the first point, from the checkpoint
    assert resumed.private.task_accuracy.baseline == uninterrupted.private.task_accuracy.baseline
    assert resumed.baseline == uninterrupted.baseline
