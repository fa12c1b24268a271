"""`forgetlab presets --measure`: run every synthetic preset on 3 bases x 2 seeds and store what came out.

The stored runs (core/presets_measured.json) are what the preset cards quote (core/preset_outcomes.py);
runs already stored for the current engine version are kept, so an interrupted measurement resumes.
Two processes at a time, one torch thread each, so the numbers do not depend on the machine's cores.
"""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor


def run_preset(name: str, base_seed: int, seed: int) -> dict:
    """One preset on one base and seed: its outcome (core/preset_outcomes.outcome_of)."""
    import torch

    from forgetlab.core.preset_outcomes import outcome_of
    from forgetlab.core.presets import preset_scenario
    from forgetlab.core.scenario import with_overrides

    from .engine.train import train

    torch.set_num_threads(1)
    events = []
    summary = train(with_overrides(preset_scenario(name), {"base_seed": base_seed, "seed": seed}), events.append)
    first = next(e for e in events if e.type == "metrics")
    return outcome_of(summary.model_dump(mode="json"), first.refusal)


def _job(job: tuple[str, int, int]) -> tuple[str, int, int, dict]:
    return (*job, run_preset(*job))


def measure(names: list[str] | None = None, workers: int = 2) -> dict:
    from forgetlab.core.preset_outcomes import MEASURE_UNITS, MEASURED_PATH, load_measured
    from forgetlab.core.presets import presets_for
    from forgetlab.core.scenario import ENGINE_VERSION

    stored = load_measured()
    if stored.get("engine_version") != ENGINE_VERSION:
        stored = {"engine_version": ENGINE_VERSION, "presets": {}}
    names = names or [p.name for p in presets_for("synthetic")]
    done = {(n, r["base_seed"], r["seed"]) for n, runs in stored["presets"].items() for r in runs}
    jobs = [(n, b, s) for n in names for b, s in MEASURE_UNITS if (n, b, s) not in done]
    print(f"{len(jobs)} runs to do ({len(done)} stored)", flush=True)
    with ProcessPoolExecutor(workers) as pool:
        for name, base_seed, seed, outcome in pool.map(_job, jobs):
            stored["presets"].setdefault(name, []).append({"base_seed": base_seed, "seed": seed, **outcome})
            stored["presets"][name].sort(key=lambda r: (r["base_seed"], r["seed"]))
            MEASURED_PATH.write_text(json.dumps(stored, indent=1, sort_keys=True) + "\n")
            print(f"{name} base {base_seed} seed {seed}: task {outcome['task']:.3f} mean drop "
                  f"{outcome['mean_drop']:.3f} worst drop {outcome['worst_drop']:.3f}", flush=True)
    return stored


def cmd_presets(args) -> None:
    """The presets' listing (core's), or with --measure the measurement above."""
    from forgetlab.core.cli import cmd_presets as listing

    if args.measure:
        measure(args.only.split(",") if args.only else None)
    listing(args)


def register(sub) -> None:
    """Adds --measure to core's `presets` listing: measuring needs the engine, listing does not."""
    p = sub.choices["presets"]
    p.add_argument("--measure", action="store_true", help="run every synthetic preset on 3 bases x 2 seeds and "
                   "store the outcomes its card quotes (core/presets_measured.json)")
    p.add_argument("--only", metavar="NAMES", help="with --measure: only these presets (comma-separated)")
    p.set_defaults(func=cmd_presets)
