"""Which probes flip: the general-capability probes Fix it loses against those that general data alone flips.

The question and its reading, written before the run: docs/results/fix-it-search.md, "Which probes flip". Per
unit, Fix it (the preset as it ships) to its end, and the control of bench/general_only.py to its point nearest
step 145 (the median step at which Fix it's runs stopped); a probe is lost where the base answers it right and
the run wrong. One line per unit is appended to --out; --report prints the table and the overlap.

Run: python -m bench.probe_flips --out probe-flips.jsonl [--report]
"""

from __future__ import annotations

from ._common import resumable_main
from .fix_it_search import ALL_UNITS, unit_of
from .general_only import CONFIG, STOPPED_AT, TASK, general_tier


def lost(base: dict, items: dict) -> dict[str, list[int]]:
    """Per capability, the indices of the probes the base passes and `items` fails (evaluate()'s "items")."""
    return {c: [i for i, (was, now) in enumerate(zip(base[c], items[c])) if was[0] and not now[0]] for c in base}


def run_one(unit: tuple[int, int]) -> dict:
    import torch

    torch.set_num_threads(1)
    from forgetlab.core.presets import BREAK_IT, preset_scenario
    from forgetlab.core.scenario import Scenario, with_overrides
    from forgetlab.core.tiers import get_tier
    from forgetlab.worker.engine import train as train_module
    from forgetlab.worker.engine.base_view import base_view

    base_seed, seed = unit
    measured: list[dict] = []  # every evaluate() of the run's points after step 0, in order
    inner = train_module.evaluate

    def kept(*args, **kwargs) -> dict:
        measured.append(inner(*args, **kwargs))
        return measured[-1]

    train_module.evaluate = kept
    try:
        fix_it = with_overrides(preset_scenario("fix-it"), {"base_seed": base_seed, "seed": seed})
        fix_summary = train_module.train(fix_it)
        fix_items = measured[-1]["items"]
        measured.clear()
        steps: list[int] = []
        control = with_overrides(Scenario(), {**BREAK_IT, **CONFIG, "task": TASK, "base_seed": base_seed,
                                              "seed": seed})
        train_module.train(control, lambda e: steps.append(e.step) if e.type == "metrics" and e.step else None,
                           tier=general_tier(), full_points=True)
    finally:
        train_module.evaluate = inner
    near = min(range(len(steps)), key=lambda i: abs(steps[i] - STOPPED_AT))
    tier = get_tier("synthetic").for_base(base_seed)
    base = base_view(tier, fix_it.task, "cpu").level["items"]
    right = {c: sum(passed for passed, _ in base[c]) for c in base}
    return {"base_seed": base_seed, "seed": seed, "fix_it_steps": fix_summary.steps, "control_step": steps[near],
            "right": right, "fix_it": lost(base, fix_items), "control": lost(base, measured[near]["items"])}


def report(rows: list[dict]) -> None:
    print("| unit (base, seed) | Fix it's lost probes | the control's (step) | both |")
    print("|---|---|---|---|")
    total = both = expected = control = 0
    for r in sorted(rows, key=unit_of):
        f, c = r["fix_it"], r["control"]
        shared = sum(len(set(f[k]) & set(c[k])) for k in f)
        n_f, n_c = sum(map(len, f.values())), sum(map(len, c.values()))
        total, both, control = total + n_f, both + shared, control + n_c
        expected += sum(len(f[k]) * len(c[k]) / r["right"][k] for k in f if r["right"][k])
        print(f"| {r['base_seed']}, {r['seed']} | {n_f} | {n_c} ({r['control_step']}) | {shared} |")
    print(f"\nshare of Fix it's lost probes that the control lost too: {both}/{total} = {both / total:.2f}; "
          f"at random: {expected / total:.2f}")
    print(f"share of the control's lost probes that Fix it lost too: {both}/{control} = {both / control:.2f}")


def main() -> None:
    resumable_main(ALL_UNITS, unit_of, run_one,
                   lambda r: f"base {r['base_seed']} seed {r['seed']}: Fix it lost "
                             f"{sum(map(len, r['fix_it'].values()))}, the control "
                             f"{sum(map(len, r['control'].values()))}", report)


if __name__ == "__main__":
    main()
