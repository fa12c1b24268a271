"""Stage 3 of the world search (docs/protocols/world-room.md, amendment 2): break-it under each candidate
learning-rate schedule, on every unit, one line per run appended to --out (runs already there are skipped).

    python -m bench.break_it_schedule --out RESULTS.jsonl            # run what is missing, then the table
    python -m bench.break_it_schedule --out RESULTS.jsonl --report   # the table only

Every candidate runs on all six units, so the whole table is reported; the first in the protocol's order that
qualifies (task >= 0.90 and mean drop in [0.35, 0.75] on every unit) is named.
"""

from __future__ import annotations

import json

from ._common import resumable_main

CANDIDATES = [  # the protocol's order of least change
    {"lr": 1e-3, "schedule": "cosine", "warmup_steps": 0},
    {"lr": 1e-3, "schedule": "linear", "warmup_steps": 0},
    {"lr": 1e-3, "schedule": "cosine", "warmup_steps": 32},
    {"lr": 1e-3, "schedule": "linear", "warmup_steps": 32},
    {"lr": 5e-4, "schedule": "cosine", "warmup_steps": 0},
    {"lr": 5e-4, "schedule": "linear", "warmup_steps": 0},
    {"lr": 5e-4, "schedule": "cosine", "warmup_steps": 32},
    {"lr": 5e-4, "schedule": "linear", "warmup_steps": 32},
    {"lr": 3e-4, "schedule": "cosine", "warmup_steps": 32},
    {"lr": 3e-4, "schedule": "linear", "warmup_steps": 32},
]
UNITS = [(base, seed) for base in range(3) for seed in (0, 1)]


def _run(job: tuple[str, int, int]) -> dict:
    from forgetlab.worker.world_check import _break_it

    config, base, seed = json.loads(job[0]), job[1], job[2]
    task, mean, worst = _break_it((base, seed, config))
    return {"config": config, "base_seed": base, "seed": seed, "task": task, "mean_drop": mean, "worst_drop": worst}


def report(rows: list[dict]) -> None:
    from forgetlab.worker.world_check import DROP_BAND

    by = {(json.dumps(r["config"], sort_keys=True), r["base_seed"], r["seed"]): r for r in rows}
    print("| order | lr | schedule | warmup | task (min) | mean drop per unit | qualifies |\n|---|---|---|---|---|---|---|")
    chosen = None
    for order, c in enumerate(CANDIDATES, 1):
        runs = [by.get((json.dumps(c, sort_keys=True), b, s)) for b, s in UNITS]
        if None in runs:
            print(f"| {order} | {c['lr']:g} | {c['schedule']} | {c['warmup_steps']} | not run | | |")
            continue
        ok = all(r["task"] >= 0.90 and DROP_BAND[0] <= r["mean_drop"] <= DROP_BAND[1] for r in runs)
        chosen = chosen or (order if ok else None)
        drops = ", ".join(f"{r['mean_drop']:.2f}" for r in runs)
        print(f"| {order} | {c['lr']:g} | {c['schedule']} | {c['warmup_steps']} | {min(r['task'] for r in runs):.2f} "
              f"| {drops} | {'yes' if ok else 'no'} |")
    print(f"\nUnits in order: {', '.join(f'base {b} seed {s}' for b, s in UNITS)}.")
    print(f"Taken: candidate {chosen}" if chosen else "No candidate qualifies: break-it stays as it is.")


def main() -> None:
    jobs = [(json.dumps(c, sort_keys=True), b, s) for c in CANDIDATES for b, s in UNITS]
    resumable_main(jobs, lambda r: (json.dumps(r["config"], sort_keys=True), r["base_seed"], r["seed"]), _run,
                   lambda row: f"{row['config']} base {row['base_seed']} seed {row['seed']}: "
                               f"task {row['task']:.3f} mean drop {row['mean_drop']:.3f}", report)


if __name__ == "__main__":
    main()
