"""The Fix it search (docs/protocols/fix-it-search.md): run configurations on units, append one line per run.

    python -m bench.fix_it_search --stage A --out RESULTS.jsonl
    python -m bench.fix_it_search --stage B --out ...   # reads stage A's lines to pick the two best
    python -m bench.fix_it_search --stage C --out ...   # the three best of A and B, on all 15 units
    python -m bench.fix_it_search --stage D --out ...   # amendment 2: other levers, one change from stage C's best
    python -m bench.fix_it_search --stage E --out ...   # the two best of D, on the other 12 units
    python -m bench.fix_it_search --report --out ...    # the table, by the selection rule

Runs already in the file are not run again. Two processes, one torch thread each.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ._common import append_runs, load_rows

EARLY = {"early_stopping": True, "patience": 4, "min_delta": 0.01, "validate_every": 5}
RANKS, RATES = (4, 8, 16), (1e-3, 3e-3, 1e-2)
FEW_UNITS = [(b, 0) for b in range(3)]
ALL_UNITS = [(b, s) for b in range(3) for s in range(5)]
LEARNS, KEEPS = 0.90, 0.05


def unit_of(row: dict) -> tuple[int, int]:
    """A stored run's unit: (base seed, training seed)."""
    return row["base_seed"], row["seed"]


def lora(rank: int, lr: float, mix: float = 0.2, early: bool = True, ewc: float = 0.0) -> dict:
    config = {"method": "lora", "lora_rank": rank, "lora_alpha": 2 * rank, "lr": lr, "mix_ratio": mix}
    if early:
        config.update(EARLY)
    if ewc:
        config["ewc_lambda"] = ewc
    return config


def key(config: dict) -> str:
    return json.dumps(config, sort_keys=True)


def run_one(job: tuple[str, int, int]) -> dict:
    import torch

    torch.set_num_threads(1)
    from forgetlab.core.presets import BREAK_IT
    from forgetlab.core.scenario import Scenario, with_overrides
    from forgetlab.worker.engine.train import train

    config, base_seed, seed = json.loads(job[0]), job[1], job[2]
    scenario = with_overrides(Scenario(), {**BREAK_IT, **config, "base_seed": base_seed, "seed": seed})
    s = train(scenario, lambda event: None)
    return {"config": config, "base_seed": base_seed, "seed": seed, "task": s.task_accuracy.final,
            "drops": s.forgetting, "worst_drop": max(s.forgetting.values()), "steps": s.steps,
            "format_rigidity": s.format_rigidity, "seconds": s.seconds}


def score(rows: list[dict], units: list[tuple[int, int]]) -> dict[str, dict]:
    """Per configuration run on every one of `units`: learns everywhere, mean worst drop, units that keep."""
    by: dict[str, dict] = {}
    for r in rows:
        if unit_of(r) in units:
            by.setdefault(key(r["config"]), {})[unit_of(r)] = r
    table = {}
    for k, runs in by.items():
        if len(runs) < len(units):
            continue
        runs = list(runs.values())
        table[k] = {"learns": all(r["task"] >= LEARNS for r in runs),
                    "worst": sum(r["worst_drop"] for r in runs) / len(runs),
                    "keeps": sum(r["task"] >= LEARNS and r["worst_drop"] <= KEEPS for r in runs),
                    "min_task": min(r["task"] for r in runs), "units": len(runs)}
    return table


def ranked(table: dict[str, dict]) -> list[str]:
    """The selection rule: learners first, lowest mean worst drop (ties within 0.005: more keeps, smaller rank,
    lower rate)."""
    def order(k: str):
        c, t = json.loads(k), table[k]
        return (not t["learns"], round(t["worst"] / 0.005), -t["keeps"], c["lora_rank"], c["lr"])
    return sorted(table, key=order)


# Amendment 2's stage D: stage C's best (F) with one other lever changed, and two combinations.
F = lora(8, 3e-3, mix=0.5)
STAGE_D = [{**F, **change} for change in (
    {"freeze_layers": 1}, {"freeze_layers": 2}, {"mix_ratio": 0.8}, {"kl_weight": 1.0}, {"l2sp_weight": 1.0},
    {"replay_ratio": 0.2, "replay_buffer": 200}, {"rehearsal_ratio": 0.2}, {"lr": 1e-3, "epochs": 15},
    {"lora_targets": ["q_proj", "k_proj", "v_proj", "o_proj"]}, {"freeze_layers": 1, "mix_ratio": 0.8},
    {"freeze_layers": 1, "kl_weight": 1.0})]


def best(rows: list[dict], configs: list[dict], n: int) -> list[dict]:
    """The n best of `configs` by the selection rule, on stage A's 3 units."""
    table = score(rows, FEW_UNITS)
    return [json.loads(k) for k in ranked({k: table[k] for k in map(key, configs) if k in table})[:n]]


def stage_configs(stage: str, rows: list[dict]) -> tuple[list[dict], list[tuple[int, int]]]:
    stage_a = [lora(r, lr) for r in RANKS for lr in RATES]
    if stage == "A":
        table = score(rows, FEW_UNITS)
        if all(key(c) in table for c in stage_a) and not any(table[key(c)]["learns"] for c in stage_a):
            stage_a += [lora(r, 3e-2) for r in RANKS]  # the protocol's one extension
        return stage_a, FEW_UNITS
    stage_a += [lora(r, 3e-2) for r in RANKS if key(lora(r, 3e-2)) in score(rows, FEW_UNITS)]
    stage_b = []
    for c in best(rows, stage_a, 2):
        rank, lr = c["lora_rank"], c["lr"]
        stage_b += [lora(rank, lr, mix=0.0), lora(rank, lr, mix=0.5), lora(rank, lr, early=False),
                    lora(rank, lr, ewc=10.0)]
    if stage == "B":
        return stage_b, FEW_UNITS
    if stage == "C":
        return best(rows, stage_a + stage_b, 3), ALL_UNITS
    if stage == "D":
        return STAGE_D, FEW_UNITS
    return best(rows, STAGE_D, 2), ALL_UNITS


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stage", choices=["A", "B", "C", "D", "E"])
    parser.add_argument("--out", required=True)
    parser.add_argument("--report", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--bases", help="only these base_seeds of the stage's units (comma-separated): a stage "
                        "may start on the bases already shipped")
    args = parser.parse_args()
    out = Path(args.out)
    rows = load_rows(out)
    if args.stage:
        configs, units = stage_configs(args.stage, rows)
        done = {(key(r["config"]), *unit_of(r)) for r in rows}
        bases = {int(b) for b in args.bases.split(",")} if args.bases else {b for b, _ in units}
        jobs = [(key(c), b, s) for c in configs for b, s in units if (key(c), b, s) not in done and b in bases]
        print(f"stage {args.stage}: {len(configs)} configurations, {len(jobs)} runs to do", flush=True)
        rows = append_runs(run_one, jobs, out, args.workers,
                           lambda row: f"{row['config']} base {row['base_seed']} seed {row['seed']}: task "
                                       f"{row['task']:.3f} worst drop {row['worst_drop']:.3f} ({row['seconds']:.0f} s)")
    for units, label in ((FEW_UNITS, "3 units (bases 0-2, seed 0)"), (ALL_UNITS, "15 units")):
        table = score(rows, units)
        if not table:
            continue
        print(f"\n{label}: learns = task >= {LEARNS} on every unit; worst = mean of each unit's largest drop")
        for k in ranked(table):
            t = table[k]
            print(f"  {'learns' if t['learns'] else 'no    '} worst {t['worst']:.3f} keeps {t['keeps']}/{t['units']} "
                  f"min task {t['min_task']:.3f}  {k}")


if __name__ == "__main__":
    main()
