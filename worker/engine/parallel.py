"""Run several scenarios at once on one machine without oversubscribing its cores.

Each run gets its own spawned process with cores // workers torch threads: two runs with one
thread each keep a 2-core machine busy, where two runs with two threads each would fight
over the cores and both slow down (OpenMP threads spin while they wait).
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Callable

from forgetlab.core.scenario import Scenario


def _init(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def _train(config: dict, model_dir: str | None) -> dict:
    from forgetlab.core.scenario import parse
    from forgetlab.core.tiers import tier_for

    from .train import train

    scenario = parse(config)
    return train(scenario, tier=tier_for(scenario.tier, model_dir)).model_dump(mode="json")


def plan(runs: int, cores: int | None = None) -> tuple[int, int]:
    """(worker processes, torch threads each) for `runs` runs on `cores` cores."""
    cores = cores or os.cpu_count() or 1
    workers = max(1, min(runs, cores))
    return workers, max(1, cores // workers)


def run_many(scenarios: list[Scenario], on_done: Callable[[int, dict], None] | None = None,
             model_dir: str | None = None) -> list[dict]:
    """Summaries in the scenarios' order; identical scenarios (same canonical hash) train once."""
    unique: dict[str, Scenario] = {}
    for s in scenarios:
        unique.setdefault(s.canonical_hash(), s)
    workers, threads = plan(len(unique))
    results: dict[str, dict] = {}
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init, initargs=(threads,)) as pool:
        futures = {pool.submit(_train, s.model_dump(mode="json"), model_dir): key for key, s in unique.items()}
        for done, future in enumerate(as_completed(futures), 1):
            results[futures[future]] = future.result()
            if on_done:
                on_done(done, results[futures[future]])
    return [results[s.canonical_hash()] for s in scenarios]
