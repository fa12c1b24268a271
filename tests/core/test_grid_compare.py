"""Sweep grids expand and fail clearly; comparisons compute diffs, deltas and the frontier."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forgetlab.core.compare import LEARNED, best, config_diff, deltas, frontier, mean_drop
from forgetlab.core.grid import MAX_SWEEP_RUNS, expand
from forgetlab.core.scenario import ScenarioError, parse


def test_grid_expands_over_a_preset():
    scenarios = expand({"preset": "break-it", "grid": {"method": ["full", "lora"], "lr": ["1e-4", 1e-3],
                                                       "mix_ratio": [0, 0.2]}})
    assert len(scenarios) == 8
    assert {(s.method, s.lr, s.mix_ratio) for s in scenarios} == {
        (m, lr, mix) for m in ("full", "lora") for lr in (1e-4, 1e-3) for mix in (0.0, 0.2)}
    assert all(s.epochs == 5 for s in scenarios)  # from the preset


@pytest.mark.parametrize("spec, field, words", [
    ({"grid": {"colour": [1, 2]}}, "colour", "unknown field"),
    ({"grid": {}}, "grid", "at least one field"),
    ({"grid": {"lr": [1e-3, 5.0]}}, "lr", "at lr=5.0"),
    ({"grid": {"seed": list(range(MAX_SWEEP_RUNS + 1))}}, "grid", f"over the limit of {MAX_SWEEP_RUNS}"),
    ({"preset": "nope", "grid": {"lr": [1e-3]}}, "preset", "unknown preset"),
    ({"grid": {"lr": [1e-3]}, "extra": 1}, "extra", "unknown key"),
    ({"grid": {"lr": []}}, "lr", "at least one value"),
    ({"base": {"lrr": 1e-3}, "grid": {"seed": [0]}}, "base: lrr", "unknown field"),
    ({"base": {"epochs": 0}, "grid": {"seed": [0, 1]}}, "base: epochs", "(at seed=0)"),
    ({"base": {"lr": "fast"}, "grid": {"lr": [1e-3]}}, "base: lr", "valid number"),
    ({"base": {"lr": 5.0}, "grid": {"lr": [1e-3, 2.0]}}, "base: lr", "less than or equal"),
    ({"base": {"epochs": 2}, "grid": {"lr": [1e-3, 5.0]}}, "lr", "at lr=5.0"),
])
def test_bad_grids_name_the_problem(spec, field, words):
    with pytest.raises(ScenarioError) as err:
        expand(spec)
    assert words in err.value.errors[field]


def test_a_base_field_the_grid_also_sets_is_replaced_when_good():
    scenarios = expand({"base": {"lr": 1e-3, "epochs": 2}, "grid": {"lr": [1e-4, 2e-4]}})
    assert [(s.lr, s.epochs) for s in scenarios] == [(1e-4, 2), (2e-4, 2)]


def _run(run_id, gain, drops, task=None, **config):
    finals = {c: 1.0 - d for c, d in drops.items()}
    return {"id": run_id, "config": {"lr": 1e-3, "method": "full", **config},
            "summary": {"forgetting": drops, "final": finals, "task_gain": gain,
                        "task_accuracy": {"baseline": 0.0, "final": gain if task is None else task}}}


RUNS = [_run(1, 1.0, {"a": 0.6, "b": 0.4}), _run(2, 1.0, {"a": 0.1, "b": 0.0}, method="lora"),
        _run(3, 0.5, {"a": 0.0, "b": 0.0}, lr=1e-4)]


def test_config_diff_shows_only_differing_fields():
    assert config_diff(RUNS) == ["lr", "method"]
    assert config_diff(RUNS[:2]) == ["method"]


def test_deltas_against_a_baseline_are_marked():
    d = deltas(RUNS, baseline_id=1)
    assert d[1]["mean drop"]["verdict"] == "same"
    assert d[2]["mean drop"]["delta"] == pytest.approx(0.05 - 0.5)
    assert d[2]["mean drop"]["verdict"] == "better" and d[2]["final a"]["verdict"] == "better"
    assert d[3]["task accuracy"]["verdict"] == "worse"
    with pytest.raises(KeyError):
        deltas(RUNS, baseline_id=99)


def test_frontier_and_best():
    points = {p["id"]: p for p in frontier(RUNS)}
    assert points[1]["mean_drop"] == pytest.approx(0.5) and not points[1]["pareto"]
    assert points[2]["pareto"] and points[3]["pareto"]
    assert best(RUNS)["id"] == 2
    assert mean_drop(RUNS[1]["summary"]) == pytest.approx(0.05)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.lists(st.floats(-0.5, 1), min_size=5, max_size=5)), min_size=1,
                max_size=8))
def test_least_forgetting_goes_only_to_a_learnt_run_that_forgets_no_more_than_another_learnt_run(rows):
    """The badge's filter: among runs that learnt the task (LEARNED); never a run out-forgotten by one that learnt."""
    caps = ["a", "b", "c", "d", "e"]
    runs = [{"id": i, "config": {}, "summary": {"task_accuracy": {"final": task}, "forgetting": dict(zip(caps, drops))}}
            for i, (task, drops) in enumerate(rows)]
    learnt = [r for r in runs if r["summary"]["task_accuracy"]["final"] >= LEARNED]
    pick = best(runs)
    assert (pick is None) == (not learnt)
    if pick:
        assert pick in learnt and all(mean_drop(pick["summary"]) <= mean_drop(r["summary"]) for r in learnt)


def test_a_field_added_since_a_run_was_stored_reads_as_its_default():
    """A run stored before `suites` existed and one stored after, both without suites, do not differ in it."""
    old = parse({"lr": 1e-3}).model_dump(mode="json")
    old.pop("suites")
    new = parse({"lr": 1e-3}).model_dump(mode="json")
    assert config_diff([{"config": old}, {"config": new}]) == []
    assert config_diff([{"config": old}, {"config": {**new, "lr": 3e-3}}]) == ["lr"]
