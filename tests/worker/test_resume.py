"""Checkpoints and resume (worker/engine/checkpoint.py): a run stopped midway and started again continues
from its last checkpoint; across both attempts every evaluation point is reported, none twice in the store."""

from forgetlab.core.results import Metrics
from forgetlab.core.scenario import parse
from forgetlab.worker.engine.checkpoint import Checkpoints
from forgetlab.worker.engine.train import Cancelled, fine_tune

SCENARIO = parse({"task_examples": 50, "epochs": 3, "batch_size": 4, "eval_every": 10})  # 39 steps


def points(events):
    return [e.step for e in events if isinstance(e, Metrics)]


def test_a_stopped_run_resumes_from_its_last_checkpoint_without_repeating_points(tmp_path):
    path = tmp_path / "run-1.pt"
    whole: list = []
    uninterrupted, _, _ = fine_tune(SCENARIO, whole.append)

    first: list = []
    steps_seen = []

    def crash_after_25():  # called once per step before training it: stop at step 25
        steps_seen.append(1)
        return len(steps_seen) > 25

    try:
        fine_tune(SCENARIO, first.append, should_cancel=crash_after_25, checkpoints=Checkpoints(path, every=10))
        raise AssertionError("the first attempt should have stopped")
    except Cancelled as e:
        assert e.step == 25
    assert path.exists()
    assert points(first) == [0, 5, 10, 20]

    second: list = []
    checkpoints = Checkpoints(path, every=10)
    summary, _, _ = fine_tune(SCENARIO, second.append, checkpoints=checkpoints)
    # Resumed after step 20: no step-0 point, no point at or before 20 again.
    assert points(second) == [30, 39]
    assert sorted(set(points(first) + points(second))) == points(whole)
    assert summary.steps == SCENARIO.total_steps == 39
    # The summary covers the whole run: its table starts with the base's level, measured by the first attempt.
    assert summary.baseline == uninterrupted.baseline
    assert summary.task_accuracy.baseline == uninterrupted.task_accuracy.baseline
    assert not path.exists() or checkpoints.saved_step == 30  # the last save before the final step


def test_a_missing_or_torn_checkpoint_starts_over(tmp_path):
    path = tmp_path / "run-2.pt"
    path.write_bytes(b"not a checkpoint")
    events: list = []
    fine_tune(parse({"task_examples": 50, "epochs": 1, "batch_size": 8, "eval_every": 5}), events.append,
              checkpoints=Checkpoints(path, every=3))
    assert points(events)[0] == 0  # measured the base: started over


def test_checkpoints_off_writes_nothing(tmp_path):
    path = tmp_path / "run-3.pt"
    fine_tune(parse({"task_examples": 50, "epochs": 1, "batch_size": 8}), None, checkpoints=Checkpoints(path, every=0))
    assert not path.exists()


def test_a_resumed_run_with_a_mix_and_early_stopping_ends_as_an_uninterrupted_one(tmp_path):
    """The checkpoint keeps the mitigations' state: the mix's random draws continue where they were, and
    early stopping keeps its best check (and its weights) across the retry, so both runs end alike."""
    scenario = parse({"task_examples": 50, "epochs": 4, "batch_size": 4, "eval_every": 10, "mix_ratio": 0.25,
                      "early_stopping": True, "patience": 20, "validate_every": 2, "min_delta": 0.0})  # 52 steps
    whole: list = []
    uninterrupted, _, _ = fine_tune(scenario, whole.append)
    calls = []
    try:
        fine_tune(scenario, None, should_cancel=lambda: calls.append(1) or len(calls) > 33,
                  checkpoints=Checkpoints(tmp_path / "run.pt", every=15))
        raise AssertionError("the first attempt should have stopped")
    except Cancelled:
        pass
    second: list = []
    resumed, _, _ = fine_tune(scenario, second.append, checkpoints=Checkpoints(tmp_path / "run.pt", every=15))
    assert resumed.restored_step == uninterrupted.restored_step is not None
    assert resumed.final == uninterrupted.final and resumed.final_nll == uninterrupted.final_nll
    after = {e.step: e.val_loss for e in second if isinstance(e, Metrics)}
    assert after and after == {e.step: e.val_loss for e in whole if isinstance(e, Metrics) and e.step in after}
