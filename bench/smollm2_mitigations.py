"""Each SmolLM2 mitigation preset's end level against the base, per capability, on the CPU.

    python -m bench.smollm2_mitigations --out RESULTS.jsonl [--seed 0] [--workers 1]
    python -m bench.smollm2_mitigations --out RESULTS.jsonl --presets smollm2-kl smollm2-ewc
    python -m bench.smollm2_mitigations --out RESULTS.jsonl --report
    python -m bench.smollm2_mitigations --out RESULTS.jsonl --store

Runs `smollm2-break-it` and every preset that adds one mitigation to it (seed 0 by default), appending each run's
summary to RESULTS.jsonl as it finishes (a run already in the file is not run again; `--presets` runs only those, in that order), then prints a markdown
table: each capability's base level and each run's end level (accuracy, and the reference answers' NLL in nats),
and the task. It shows whether a mitigation keeps a capability at its base, or ends above it (which would mean
its data teaches what the suite measures: the general pool shares no answers with any suite, and a test checks
that).

`--store` trains nothing: it writes each preset's run of this seed and engine version from RESULTS.jsonl into
core/smollm2_measured.json, which the presets' cards quote (core/preset_outcomes.py). Each row carries the
engine version it was measured at.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import append_runs, load_rows

PRESETS = ["smollm2-break-it", "smollm2-mix-20", "smollm2-self-rehearsal", "smollm2-replay", "smollm2-ewc",
           "smollm2-kl", "smollm2-l2sp", "smollm2-early-stop", "smollm2-fix-it"]


def run_one(job: tuple[str, int]) -> dict:
    import torch

    torch.set_num_threads(1)
    from forgetlab.core.presets import preset_scenario
    from forgetlab.core.scenario import with_overrides
    from forgetlab.worker.engine.train import train

    from forgetlab.core.scenario import ENGINE_VERSION

    name, seed = job
    summary = train(with_overrides(preset_scenario(name), {"seed": seed}), lambda event: None)
    return {"preset": name, "seed": seed, "engine_version": ENGINE_VERSION, "summary": summary.model_dump(mode="json")}


def measured(rows: list[dict], seed: int, engine_version: int) -> dict:
    """core/smollm2_measured.json's content: each preset's run of `seed` at `engine_version`, as its card quotes it."""
    from forgetlab.core.preset_outcomes import smollm2_outcome

    return {"engine_version": engine_version, "device": "cpu",
            "presets": {r["preset"]: {"seed": seed, **smollm2_outcome(r["summary"])} for r in rows
                        if r["seed"] == seed and r.get("engine_version") == engine_version}}


def report(rows: list[dict], seed: int) -> None:
    runs = {r["preset"]: r["summary"] for r in rows if r["seed"] == seed}
    names = [n for n in PRESETS if n in runs]
    if not names:
        print("no runs yet")
        return
    base = runs[names[0]]
    print(f"| capability | base | {' | '.join(n.removeprefix('smollm2-') for n in names)} |")
    print(f"| --- | --- | {' | '.join('---' for _ in names)} |")
    for cap in base["baseline"]:
        cells = [f"{runs[n]['final'][cap]:.3f} ({runs[n]['final_nll'][cap]:.2f})" for n in names]
        print(f"| {cap} | {base['baseline'][cap]:.3f} ({base['baseline_nll'][cap]:.2f}) | {' | '.join(cells)} |")
    tasks = [f"{runs[n]['task_accuracy']['final']:.3f}" for n in names]
    print(f"| task | {base['task_accuracy']['baseline']:.3f} | {' | '.join(tasks)} |")
    for rate in ("refusal", "over_refusal", "format_rigidity"):  # a summary keeps these at the end only
        cells = [f"{runs[n][rate]:.3f}" if runs[n][rate] is not None else "-" for n in names]
        print(f"| {rate.replace('_', ' ')} (end) | | {' | '.join(cells)} |")
    seconds = [f"{runs[n]['seconds']:.0f}" for n in names]
    print(f"| seconds | | {' | '.join(seconds)} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--presets", nargs="+", choices=PRESETS, default=PRESETS,
                        help="run only these presets, in this order (default: all, in the table's order)")
    parser.add_argument("--report", action="store_true", help="print the table from the file, train nothing")
    parser.add_argument("--store", action="store_true",
                        help="write the file's runs into core/smollm2_measured.json for the cards, train nothing")
    args = parser.parse_args()
    out = Path(args.out)
    rows = load_rows(out)
    if args.store:
        import json

        from forgetlab.core.preset_outcomes import SMOLLM2_MEASURED_PATH
        from forgetlab.core.scenario import ENGINE_VERSION

        stored = measured(rows, args.seed, ENGINE_VERSION)
        SMOLLM2_MEASURED_PATH.write_text(json.dumps(stored, indent=1, sort_keys=True) + "\n")
        print(f"{len(stored['presets'])} presets stored in {SMOLLM2_MEASURED_PATH}")
        return
    if not args.report:
        done = {(r["preset"], r["seed"]) for r in rows}
        jobs = [(n, args.seed) for n in args.presets if (n, args.seed) not in done]
        rows = append_runs(run_one, jobs, out, args.workers,
                           lambda r: f"{r['preset']} seed {r['seed']}: task {r['summary']['task_accuracy']['final']:.3f} "
                                     f"({r['summary']['seconds']:.0f} s)")
    report(rows, args.seed)


if __name__ == "__main__":
    main()
