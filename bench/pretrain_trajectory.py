"""Pretrain one base and record the full-suite evaluation every `--every` steps (the world search's run).

    python -m bench.pretrain_trajectory --seed 0 --every 100 --out /tmp/trajectory.json [--save DIR]

Each evaluation stores every capability's accuracy and per-probe correctness, so accuracy per length or
rank band can be read off afterwards. One torch thread, as `forgetlab pretrain`.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--every", type=int, default=100)
    parser.add_argument("--steps", type=int)
    parser.add_argument("--out", required=True)
    parser.add_argument("--save", help="also save the final model here (with recipe.json)")
    args = parser.parse_args()

    from forgetlab.core.tiers.synthetic import world
    from forgetlab.worker.engine.pretrain import Recipe, pretrain, save_base

    recipe = Recipe(seed=args.seed, eval_every=args.every)
    if args.steps:
        recipe = replace(recipe, steps=args.steps)
    points, started = [], time.perf_counter()

    def on_progress(step: int, loss: float, result: dict | None) -> None:
        if result:
            points.append({"step": step, "loss": loss, "seconds": round(time.perf_counter() - started, 1),
                           "capabilities": {k: v["accuracy"] for k, v in result["capabilities"].items()},
                           "tasks": {k: v["accuracy"] for k, v in result["tasks"].items()},
                           "items": {k: [bool(x[0]) for x in v] for k, v in result["items"].items()}})
            print(step, {k: round(v, 3) for k, v in points[-1]["capabilities"].items()}, flush=True)
            Path(args.out).write_text(json.dumps({"seed": args.seed, "points": points}))

    model, tokenizer, report = pretrain(recipe, on_progress)
    probes = [(p.prompt, p.capability, p.group) for p in world.probe_suite().probes]
    Path(args.out).write_text(json.dumps({"seed": args.seed, "points": points, "probes": probes}))
    if args.save:
        save_base(model, tokenizer, report, Path(args.save))


if __name__ == "__main__":
    main()
