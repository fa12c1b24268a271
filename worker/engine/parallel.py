"""Run several scenarios at once on one machine without oversubscribing its cores.

Each run gets its own spawned process, one per core at most, with its threads by worker/threads.py's
rule for that many processes at once: two synthetic runs with one thread each keep a 2-core machine
busy, where two runs with two threads each would fight over the cores and both slow down.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Callable

from forgetlab.core.scenario import Scenario


def _init(tier: str, processes: int) -> None:
    from forgetlab.worker.threads import configure

    configure(tier, processes=processes)  # before this process imports torch


def _train(config: dict, model_dir: str | None, processes: int) -> dict:
    from forgetlab.core.scenario import parse
    from forgetlab.core.tiers import tier_for
    from forgetlab.worker.threads import configure

    from .train import train

    scenario = parse(config)
    configure(scenario.tier, processes=processes)  # a grid may vary the tier
    return train(scenario, tier=tier_for(scenario.tier, model_dir)).model_dump(mode="json")


def plan(runs: int, cores: int | None = None) -> int:
    """Worker processes for `runs` runs on `cores` cores: one per core at most."""
    from forgetlab.core.settings import usable_cores

    return max(1, min(runs, cores or usable_cores()))


def run_many(scenarios: list[Scenario], on_done: Callable[[int, dict], None] | None = None,
             model_dir: str | None = None) -> list[dict]:
    """Summaries in the scenarios' order; identical scenarios (same canonical hash) train once."""
    unique: dict[str, Scenario] = {}
    for s in scenarios:
        unique.setdefault(s.canonical_hash(), s)
    workers = plan(len(unique))
    results: dict[str, dict] = {}
    context = multiprocessing.get_context("spawn")
    first_tier = next(iter(unique.values())).tier
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init, initargs=(first_tier, workers)) as pool:
        futures = {pool.submit(_train, s.model_dump(mode="json"), model_dir, workers): key
                   for key, s in unique.items()}
        for done, future in enumerate(as_completed(futures), 1):
            results[futures[future]] = future.result()
            if on_done:
                on_done(done, results[futures[future]])
    return [results[s.canonical_hash()] for s in scenarios]
