"""Stage 4 of the world's protocol (docs/protocols/world-room.md, amendment 3): bases of width 128, the world
and the pretraining recipe otherwise unchanged.

    python -m bench.wider_base --dir /tmp/wide [--seeds 1 5 6] [--skip-pretrain]

1. pretrains each seed (one torch thread each, side by side) into DIR/seed-S, replacing a seed that fails the
   recipe's quality bar by the next from 7 on (at most seed 10);
2. prints `forgetlab world --check --break-it`'s two tables measured on these bases (C1 and C2);
3. as a first look that decides nothing, runs the Fix it preset on the bases x training seeds 0-4 and prints how
   many units learn (task >= 0.90) and keep (every drop <= 0.05), each unit's figures in a table;
4. times one break-it on the first wide base against one on the shipped base 0 (in a process of its own).

The shipped bases are untouched: the synthetic tier's base directories are pointed at DIR for this process and
the processes it starts.
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

WIDE = {"hidden_size": 128, "intermediate_size": 384}
SPARE_SEEDS = (7, 8, 9, 10)
LEARNS, KEEPS = 0.90, 0.05


def pretrain_one(job: tuple[int, str]) -> dict:
    from forgetlab.worker.engine.model import ModelSize
    from forgetlab.worker.engine.pretrain import Recipe, pretrain, save_base

    seed, out = job
    model, tokenizer, report = pretrain(Recipe(seed=seed, size=ModelSize(**WIDE)))
    save_base(model, tokenizer, report, Path(out) / f"seed-{seed}")
    return {"seed": seed, "meets_bar": report["meets_bar"], "seconds": report["seconds"],
            "parameters": report["parameters"],
            "capabilities": {k: v["accuracy"] for k, v in report["eval"]["capabilities"].items()}}


def pretrained(seeds: list[int], out: Path) -> list[int]:
    """The seeds whose base meets the bar, replacing failures by spares; every pretraining printed."""
    chosen, spares, todo = [], list(SPARE_SEEDS), list(seeds)
    with ProcessPoolExecutor(len(seeds)) as pool:
        while todo:
            for row in pool.map(pretrain_one, [(s, str(out)) for s in todo]):
                print(json.dumps(row), flush=True)
                if row["meets_bar"]:
                    chosen.append(row["seed"])
            todo = spares[: len(seeds) - len(chosen)]
            spares = spares[len(todo):]
            if not todo and len(chosen) < len(seeds):
                print(f"only {len(chosen)} of {len(seeds)} seeds met the bar, spares included")
    return sorted(chosen, key=lambda s: (s not in seeds, s))


def point_at(dirs: list[Path]) -> None:
    """The synthetic tier's base_seed i is dirs[i] in this process (and, forked, in its pools)."""
    from forgetlab.core.tiers import synthetic
    from forgetlab.worker.engine.base_view import base_view

    synthetic.base_dir = lambda index=0: dirs[index]
    synthetic.BASE_SEEDS = synthetic.SyntheticTier.base_seeds = len(dirs)
    synthetic.SyntheticTier.base_model.cache_clear()
    base_view.cache_clear()  # a base loaded before (keyed by base_seed) must not stand in for the wide one


def fix_it_unit(job: tuple[int, int]) -> dict:
    import torch

    from forgetlab.core.presets import preset_scenario
    from forgetlab.core.scenario import with_overrides
    from forgetlab.worker.engine.train import train

    torch.set_num_threads(1)
    base_seed, seed = job
    s = train(with_overrides(preset_scenario("fix-it"), {"base_seed": base_seed, "seed": seed}), lambda e: None)
    return {"base_seed": base_seed, "seed": seed, "task": s.task_accuracy.final, "drops": s.forgetting,
            "worst_drop": max(s.forgetting.values()), "steps": s.steps}


def break_it_seconds() -> float:
    import torch

    from forgetlab.core.presets import preset_scenario
    from forgetlab.worker.engine.train import train

    torch.set_num_threads(1)
    started = time.perf_counter()
    train(preset_scenario("break-it"), lambda e: None)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True, help="where the wide bases are written (DIR/seed-S)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 5, 6])
    parser.add_argument("--skip-pretrain", action="store_true", help="use the bases already in DIR")
    args = parser.parse_args()
    out = Path(args.dir)
    if args.skip_pretrain:
        seeds = [s for s in args.seeds if json.loads((out / f"seed-{s}" / "recipe.json").read_text())["meets_bar"]]
    else:
        seeds = pretrained(args.seeds, out)
    print(f"bases: pretraining seeds {seeds}")

    from forgetlab.core.tiers import get_tier
    from forgetlab.worker import world_check

    with ProcessPoolExecutor(1) as pool:  # the shipped base in a process of its own, never loaded here
        shipped = pool.submit(break_it_seconds).result()
    point_at([out / f"seed-{s}" for s in seeds])
    wide = break_it_seconds()
    print(f"break-it (one thread): shipped base {shipped:.1f} s, width 128 {wide:.1f} s: {wide / shipped:.2f}x")

    tier = get_tier("synthetic")
    lines, c1 = world_check.base_table(tier)
    print("\n".join(lines), flush=True)
    lines, c2 = world_check.break_it_table(tier)
    print("\n".join(lines), flush=True)
    print(f"stage 4 qualifies (C1 and C2 on every base): {'yes' if c1 and c2 else 'NO'}")

    units = [(b, s) for b in range(len(seeds)) for s in range(5)]
    with ProcessPoolExecutor(2) as pool:
        rows = list(pool.map(fix_it_unit, units))
    print("\n| base | seed | task | worst drop | drops |\n|---|---|---|---|---|")
    for row in rows:
        drops = ", ".join(f"{k} {v:.3f}" for k, v in row["drops"].items())
        print(f"| {row['base_seed']} | {row['seed']} | {row['task']:.3f} | {row['worst_drop']:.3f} | {drops} |")
    learn = sum(r["task"] >= LEARNS for r in rows)
    keep = sum(r["task"] >= LEARNS and r["worst_drop"] <= KEEPS for r in rows)
    print(f"Fix it, first look: learns on {learn} of {len(rows)} units, learns and keeps on {keep}")


if __name__ == "__main__":
    main()
