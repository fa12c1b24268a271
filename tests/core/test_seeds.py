"""Deciding across seeds (core/seeds.py): grouping by setting, t intervals, the winner on seed means."""

import statistics

import pytest

from forgetlab.core import seeds


def run(run_id: int, seed: int, *, lr: float, task: float, drops: dict[str, float]) -> dict:
    return {"id": run_id, "config": {"method": "full", "lr": lr, "seed": seed},
            "summary": {"final": {c: 1.0 - d for c, d in drops.items()}, "forgetting": drops,
                        "task_accuracy": {"final": task}, "task_gain": task - 0.1}}


def test_the_interval_is_students_t_of_the_mean():
    values = [0.2, 0.3, 0.4]
    got = seeds.interval(values)
    half = 2.920 * statistics.stdev(values) / 3 ** 0.5  # t(0.95, 2 df)
    assert got["mean"] == pytest.approx(0.3) and got["n"] == 3
    assert got["lo"] == pytest.approx(0.3 - half) and got["hi"] == pytest.approx(0.3 + half)
    assert seeds.interval([0.5]) == {"mean": 0.5, "lo": None, "hi": None, "n": 1}
    assert seeds.interval([0.5, 0.5])["lo"] == seeds.interval([0.5, 0.5])["hi"] == 0.5
    # Past the table, the expansion meets the normal quantile and stays close to the tabled values.
    assert seeds.t95(30) > seeds.t95(31) > seeds.t95(60) > seeds.t95(10_000) == pytest.approx(1.645, abs=1e-3)
    assert seeds.t95(31) == pytest.approx(1.6955, abs=2e-3)
    with pytest.raises(ValueError):
        seeds.interval([])
    # Cut to what the measure can be: two seeds' accuracies give a t interval far past 0 and 1.
    wide = seeds.interval([0.1, 0.9])
    assert wide["lo"] < 0 and wide["hi"] > 1
    assert seeds.interval([0.1, 0.9], seeds.ACCURACY) == {"mean": 0.5, "lo": 0.0, "hi": 1.0, "n": 2}


def test_runs_that_differ_only_in_seed_group_together_in_first_seen_order():
    runs = [run(1, 0, lr=1e-3, task=0.95, drops={"k": 0.1}), run(2, 0, lr=1e-2, task=0.95, drops={"k": 0.3}),
            run(3, 1, lr=1e-3, task=0.93, drops={"k": 0.2}), run(4, 1, lr=1e-2, task=0.97, drops={"k": 0.4})]
    groups = seeds.group(runs)
    assert [[r["id"] for r in g] for g in groups] == [[1, 3], [2, 4]] and seeds.seeded(groups)
    assert not seeds.seeded(seeds.group(runs[:2]))  # two settings, one seed each: plain runs


def test_the_winner_is_the_group_with_the_least_mean_forgetting_not_the_luckiest_seed():
    # Setting A: one lucky seed forgets least of all (0.02), its mean is worse; setting B is steadily low.
    a = [run(1, 0, lr=1e-2, task=0.95, drops={"k": 0.02}), run(2, 1, lr=1e-2, task=0.95, drops={"k": 0.40}),
         run(3, 2, lr=1e-2, task=0.95, drops={"k": 0.45})]
    b = [run(4, 0, lr=1e-3, task=0.92, drops={"k": 0.10}), run(5, 1, lr=1e-3, task=0.93, drops={"k": 0.11}),
         run(6, 2, lr=1e-3, task=0.94, drops={"k": 0.12})]
    summaries = [seeds.summarize(g) for g in seeds.group(a + b)]
    assert summaries[1]["seeds"] == [0, 1, 2] and summaries[1]["n"] == 3
    drop = summaries[1]["metrics"]["mean drop"]
    assert drop["mean"] == pytest.approx(0.11) and drop["lo"] < 0.11 < drop["hi"] and drop["n"] == 3
    assert summaries[0]["metrics"]["task gain"]["mean"] == pytest.approx(0.85)
    assert seeds.best(summaries) == 1  # the group B; run 1 alone would have "won"
    assert not seeds.separated(summaries[1], summaries[0])  # A's spread reaches down past B's interval
    steady = [seeds.summarize(g) for g in seeds.group(b + [run(7, s, lr=0.1, task=0.95, drops={"k": 0.5 + s / 100})
                                                              for s in range(3)])]
    assert seeds.best(steady) == 0 and seeds.separated(steady[0], steady[1])
    # No group reaching the task's bar on its mean: no winner, whatever one seed did.
    unlearned = [run(8, 0, lr=0.2, task=0.95, drops={"k": 0.0}), run(9, 1, lr=0.2, task=0.5, drops={"k": 0.0})]
    assert seeds.best([seeds.summarize(unlearned)]) is None


def test_the_mean_curve_and_its_band_over_the_steps_each_seed_measured():
    curves = [{"steps": [0, 2, 4], "k": [1.0, 0.8, 0.6]}, {"steps": [0, 2, 4], "k": [1.0, 0.6, 0.4]},
              {"steps": [0, 2], "k": [1.0, 0.7]}]  # the third stopped early
    got = seeds.mean_curve(curves, ["k"])
    assert got["steps"] == [0, 2, 4]
    assert got["k"]["mean"] == pytest.approx([1.0, 0.7, 0.5])
    assert got["k"]["lo"][0] == got["k"]["hi"][0] == 1.0  # every seed agrees at the base
    assert got["k"]["lo"][1] < 0.7 < got["k"]["hi"][1]
    two = seeds.interval([0.6, 0.4], seeds.ACCURACY)  # two seeds: a wide interval, cut at 0
    assert got["k"]["lo"][2] == pytest.approx(two["lo"]) and got["k"]["hi"][2] == pytest.approx(two["hi"])
    nll = seeds.mean_curve([{"steps": [0], "k": [0.1]}, {"steps": [0], "k": [3.0]}], ["k"], seeds.NLL)
    assert nll["k"]["lo"] == [0.0] and nll["k"]["hi"][0] > 3.0  # NLL is never negative, and has no ceiling
    missing = seeds.mean_curve([{"steps": [0, 1], "k": [0.5, None]}], ["k"])
    assert missing["k"] == {"mean": [0.5, None], "lo": [None, None], "hi": [None, None]}
