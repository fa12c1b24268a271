"""A control for the Fix it search: Fix it's configuration trained on general data alone, no task at all.

The protocol and what came out: docs/results/fix-it-search.md, "A control: general data alone". The task's 1,000
training examples are replaced by 1,000 general examples from the pool the mix draws from (never a probe input,
rehearsed facts only), given to the run as a user's dataset is (`Tier.with_dataset`); early stopping is off and
every point is measured on the full suite. One line per unit is appended to --out; --report prints the table.

Run: python -m bench.general_only --out general-only.jsonl [--report]
"""

from __future__ import annotations

from ._common import resumable_main
from .fix_it_search import ALL_UNITS, F, KEEPS, unit_of

TASK = "data:" + "0" * 15 + "1"  # the stand-in task's name: the form of an uploaded dataset's
STOPPED_AT = 145  # the median step at which Fix it's own 15 runs stopped (docs/results/fix-it-search.jsonl)
CONFIG = {key: value for key, value in F.items() if key not in ("early_stopping", "patience", "min_delta",
                                                                "validate_every")}


def general_tier():
    """The synthetic tier with a dataset of general examples in the task's place."""
    from forgetlab.core.tiers import get_tier
    from forgetlab.core.tiers.synthetic import world

    pool = world.general_examples(1200, seed=9000, rehearsed_only=True)
    return get_tier("synthetic").with_dataset(TASK, {"train": pool[:1000], "validation": pool[1000:1100],
                                                      "probe": pool[1100:]})


def run_one(unit: tuple[int, int]) -> dict:
    import torch

    torch.set_num_threads(1)
    from forgetlab.core.presets import BREAK_IT
    from forgetlab.core.scenario import Scenario, with_overrides
    from forgetlab.worker.engine.train import train

    base_seed, seed = unit
    scenario = with_overrides(Scenario(), {**BREAK_IT, **CONFIG, "task": TASK, "base_seed": base_seed, "seed": seed})
    points = []

    def on_event(event) -> None:
        if event.type == "metrics":
            points.append({"step": event.step, "accuracy": {c: m.accuracy for c, m in event.capabilities.items()}})

    summary = train(scenario, on_event, tier=general_tier(), full_points=True)
    base = points[0]["accuracy"]
    near = min(points[1:], key=lambda p: abs(p["step"] - STOPPED_AT))

    def drops(point: dict) -> dict[str, float]:
        return {c: base[c] - point["accuracy"][c] for c in base}

    return {"base_seed": base_seed, "seed": seed, "steps": summary.steps, "near_step": near["step"],
            "near": drops(near), "end": drops(points[-1]), "seconds": summary.seconds}


def report(rows: list[dict]) -> None:
    print("| unit (base, seed) | step | worst drop there (capability) | mean drop | worst drop at the end "
          "(capability) | mean drop |")
    print("|---|---|---|---|---|---|")
    over = 0
    for r in sorted(rows, key=unit_of):
        cells = []
        for name in ("near", "end"):
            drops = r[name]
            worst = max(drops, key=drops.get)
            cells.append(f"{drops[worst]:.3f} ({worst}) | {sum(drops.values()) / len(drops):.3f}")
        over += max(r["near"].values()) > KEEPS
        print(f"| {r['base_seed']}, {r['seed']} | {r['near_step']} | " + " | ".join(cells) + " |")
    print(f"\nworst drop above {KEEPS} at the point nearest step {STOPPED_AT}: {over} of {len(rows)} units")


def main() -> None:
    resumable_main(ALL_UNITS, unit_of, run_one,
                   lambda r: f"base {r['base_seed']} seed {r['seed']}: worst drop near step {r['near_step']} "
                             f"{max(r['near'].values()):.3f}, at the end {max(r['end'].values()):.3f} "
                             f"({r['seconds']:.0f} s)", report)


if __name__ == "__main__":
    main()
