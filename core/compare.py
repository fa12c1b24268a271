"""Comparing finished runs: deltas against a baseline run, the config diff, the learning-vs-forgetting
frontier, and the pick "learns the task with the least forgetting". Pure functions, torch-free.

A run here is a mapping {"id", "config": scenario dict, "summary": train()'s summary}.
"""

from __future__ import annotations

from .scenario import Scenario, scenario_defaults

LEARNED = 0.9  # task accuracy at which a run counts as having learnt the task


def mean_drop(summary: dict) -> float:
    """Mean general-capability drop from base to final (the y axis of the frontier)."""
    return sum(summary["forgetting"].values()) / len(summary["forgetting"])


def nll_rise(summary: dict | None) -> dict[str, float | None]:
    """Each capability's answer NLL at the end minus at the base (nats per token; positive is forgetting),
    None where the run did not store it (runs from before the lab measured NLL)."""
    summary = summary or {}
    base, final = summary.get("baseline_nll") or {}, summary.get("final_nll") or {}
    return {c: final[c] - base[c] if final.get(c) is not None and base.get(c) is not None else None
            for c in summary.get("final") or {}}


def config_diff(runs: list[dict]) -> list[str]:
    """Config fields whose values differ between the runs: the scenario's in schema order, then any others (an
    external run's config is its trainer's arguments: core/external.py)."""
    names = dict.fromkeys([*Scenario.model_fields, *(k for r in runs for k in r["config"])])
    return [name for name in names if len({repr(_value(r["config"], name)) for r in runs}) > 1]


def _value(config: dict, name: str):
    """A config's value for a field; a lab scenario stored before a field existed has that field's default."""
    if name in config or "version" not in config:  # "version": a lab scenario, not a trainer's arguments
        return config.get(name)
    return scenario_defaults().get(name)


def headline(summary: dict) -> dict[str, float]:
    """The numbers a comparison table shows for one run (accuracies: higher is better)."""
    row = {f"final {c}": v for c, v in summary["final"].items()}
    if summary.get("task_accuracy"):  # None: an external run, which measures no task of the lab's
        row["task accuracy"] = summary["task_accuracy"]["final"]
    row["mean drop"] = mean_drop(summary)
    return row


def deltas(runs: list[dict], baseline_id) -> dict:
    """Each run's headline minus the baseline's, marked better or worse (drops: lower is better)."""
    base = next((r for r in runs if r["id"] == baseline_id), None)
    if base is None:
        raise KeyError(f"baseline run {baseline_id} is not among the compared runs")
    base_row = headline(base["summary"])
    out = {}
    for run in runs:
        row = headline(run["summary"])
        out[run["id"]] = {}
        for key, value in row.items():
            if key not in base_row:
                continue
            change = value - base_row[key]
            lower_is_better = key == "mean drop"
            better = change < -1e-9 if lower_is_better else change > 1e-9
            worse = change > 1e-9 if lower_is_better else change < -1e-9
            out[run["id"]][key] = {"value": value, "delta": change,
                                   "verdict": "better" if better else "worse" if worse else "same"}
    return out


def frontier(runs: list[dict]) -> list[dict]:
    """One point per run: task gain (x) against mean general drop (y), and whether it is Pareto-optimal."""
    points = [{"id": r["id"], "task_gain": r["summary"]["task_gain"], "mean_drop": mean_drop(r["summary"])}
              for r in runs if r["summary"].get("task_gain") is not None]  # external runs have no task
    for p in points:
        p["pareto"] = not any(q is not p and q["task_gain"] >= p["task_gain"] and q["mean_drop"] <= p["mean_drop"]
                              and (q["task_gain"] > p["task_gain"] or q["mean_drop"] < p["mean_drop"])
                              for q in points)
    return points


def best(runs: list[dict]):
    """The run that learns the task (accuracy >= LEARNED) with the least forgetting, or None."""
    learned = [r for r in runs
               if r["summary"].get("task_accuracy") and r["summary"]["task_accuracy"]["final"] >= LEARNED]
    if not learned:
        return None
    return min(learned, key=lambda r: (mean_drop(r["summary"]), -r["summary"]["task_accuracy"]["final"]))
