"""A 12-run sweep of the default scenario in an embedded lab: does it keep every core busy?

Run: python -m bench.sweep_speed
- sweep: `forgetlab serve` (embedded, workers = the CPU cores, one torch thread each), once its pool is
  warm as it is at rest (two processes); POST /api/sweeps (method x lr x mix = 12 runs), clock stopped
  when the last run ends. The worker time it used is the sum of its jobs' times from the DB: a run trained
  alone, claim to finish; runs trained as one group (its LoRA runs, docs/grouped-training.md), once, from the
  first claim to the last finish, since each member's own span is the group's. Target: wall <= 0.6x that sum
  (1/workers would be every core busy throughout).
- baseline, in the same run: the same sweep in a fresh lab with one worker, so the runs go one at a time.
  Its wall over the parallel wall is the speedup the cores bought.
- cache: the same sweep again in the parallel lab: every run reused, nothing trained.
"""

from __future__ import annotations

import time
from datetime import datetime

import httpx

from bench._lab import served_lab, wait_warm
from forgetlab.core.settings import usable_cores

GRID = {"grid": {"method": ["full", "lora"], "lr": [1e-4, 1e-3, 3e-3], "mix_ratio": [0, 0.2]}}


def sweep_once(url: str) -> tuple[float, list[float], dict]:
    """(wall seconds, each job's seconds (a run alone, or a group once), the sweep as the API reports it)."""
    with httpx.Client(base_url=url, timeout=30) as client:
        started = time.perf_counter()
        created = client.post("api/sweeps", json=GRID).json()
        while not (sweep := client.get(created["api"]).json())["finished"]:
            time.sleep(0.5)  # the web process shares the cores: polling it hard would slow the runs
        wall = time.perf_counter() - started
        jobs: dict[tuple, list[dict]] = {}
        for run_id in dict.fromkeys(p["run_id"] for p in sweep["points"]):
            run = client.get(f"api/runs/{run_id}").json()
            assert run["status"] == "succeeded", run
            if run_id in created["new_runs"]:
                jobs.setdefault(tuple(sorted((run["info"] or {}).get("group") or [run_id])), []).append(run)
    durations = [(max(datetime.fromisoformat(r["finished_at"]) for r in runs)
                  - min(datetime.fromisoformat(r["started_at"]) for r in runs)).total_seconds()
                 for runs in jobs.values()]
    return wall, durations, sweep


def main() -> None:
    cores = usable_cores()
    with served_lab(workers=cores) as (url, _):
        wait_warm(url, min(cores, 2))
        wall, runs, sweep = sweep_once(url)
        again_wall, again_runs, again = sweep_once(url)
    with served_lab(workers=1) as (url, _):
        serial_wall, serial_runs, _ = sweep_once(url)
    total = sum(runs)
    print(f"12-run sweep, {cores} workers x 1 torch thread ({cores} cores): wall {wall:.1f} s, sum of its jobs' "
          f"times {total:.1f} s, ratio {wall / total:.2f}   target <= 0.60   {'OK' if wall <= 0.6 * total else 'OVER'}")
    print(f"  {len(runs)} jobs (a run alone, or a group) took {min(runs):.1f} to {max(runs):.1f} s each")
    print(f"  baseline, the same sweep with one worker: wall {serial_wall:.1f} s in {len(serial_runs)} jobs, sum of "
          f"their times {sum(serial_runs):.1f} s, ratio {serial_wall / sum(serial_runs):.2f}; "
          f"the {cores} workers were {serial_wall / wall:.2f}x faster")
    print(f"  the same sweep again: {again['progress']['reused']} of 12 reused, {len(again_runs)} trained, "
          f"wall {again_wall * 1000:.0f} ms")


if __name__ == "__main__":
    main()
