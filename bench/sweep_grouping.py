"""An 8-run LoRA sweep in the embedded lab on 2 workers: grouped scheduling against every run alone.

    python -m bench.sweep_grouping [--repeats 2] [--workers 2]

Each arm serves a fresh embedded synthetic lab (one torch thread per worker process), waits until every worker
process is warm, POSTs one sweep of 8 LoRA runs (break-it's LoRA: lr 1e-3 and 3e-3, mix 0 and 0.2, seeds 0 and 1)
and stops the clock when the sweep has finished. Arms: `alone` serves the lab with FORGETLAB_GROUP_SIZE=1 (every
run trains alone, both processes busy), `grouped` with the shipped group size and wait (docs/grouped-training.md).
The arms alternate (alone, grouped, grouped, alone, ...) so that a load that drifts falls on both. Prints each
sweep's wall and the groups its runs trained in (from each run's info.group), the median wall of each arm and
grouped's throughput over alone's (alone's median wall over grouped's), with the machine's matmul rate and the
load average before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import httpx

from bench._common import machine_baseline
from bench._lab import served_lab, wait_warm

SWEEP = {"base": {"method": "lora"}, "grid": {"lr": [1e-3, 3e-3], "mix_ratio": [0, 0.2], "seed": [0, 1]}}
ARMS = {"alone": {"FORGETLAB_GROUP_SIZE": "1"}, "grouped": {}}


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def sweep_once(env: dict, workers: int) -> tuple[float, list[int]]:
    """(wall seconds, the sizes of the groups the sweep's runs trained in, largest first)."""
    with served_lab(env=env, workers=workers) as (url, _):
        wait_warm(url, workers)
        with httpx.Client(base_url=url, timeout=30) as client:
            started = time.perf_counter()
            created = client.post("api/sweeps", json=SWEEP, params={"reuse": False}).json()
            while not client.get(created["api"]).json()["finished"]:
                time.sleep(0.5)  # the web process shares the cores: polling it hard would slow the runs
            wall = time.perf_counter() - started
            groups = {}
            for run_id in created["new_runs"]:
                run = client.get(f"api/runs/{run_id}").json()
                assert run["status"] == "succeeded", run
                members = tuple((run.get("info") or {}).get("group") or [run_id])
                groups[members] = len(members)
    return wall, sorted(groups.values(), reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"machine matmul rate {machine_baseline(1):.1f} GFLOP/s (1 thread), load average {load()}")
    walls: dict[str, list[float]] = {arm: [] for arm in ARMS}
    for i in range(args.repeats):
        for arm in (("alone", "grouped") if i % 2 == 0 else ("grouped", "alone")):
            before = load()
            wall, groups = sweep_once(ARMS[arm], args.workers)
            walls[arm].append(wall)
            print(f"  {arm:8s} wall {wall:6.1f} s   groups {groups}   load average {before} -> {load()}")
    alone, grouped = statistics.median(walls["alone"]), statistics.median(walls["grouped"])
    print(f"8 LoRA runs, {args.workers} workers: median wall alone {alone:.1f} s, grouped {grouped:.1f} s; "
          f"grouped throughput {alone / grouped:.2f}x alone's")
    print(f"machine matmul rate {machine_baseline(1):.1f} GFLOP/s (1 thread), load average {load()}")


if __name__ == "__main__":
    main()
