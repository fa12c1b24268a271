"""The SmolLM2 claims on one GPU machine, many runs at once, judged from whatever finished.

A 135M model leaves an H200 almost idle (0.2% of its bf16 peak in one run), so K processes sharing
the GPU finish K runs in about the time of one. Every distinct scenario of the claims for seeds
0..N-1 is trained (seed by seed, so a deadline leaves whole seeds), and each run's summary and curve
are appended to a JSONL file the moment it finishes. The claims are then judged by the rule `forgetlab claims`
uses (judge() in worker/engine/claims.py: each test over the seeds whose runs are all in the file), from the runs'
stored curves.

Run (GPU):   python -m bench.smollm2_claims --seeds 5 --workers 12 --out runs.jsonl --deadline 300
Judge again: python -m bench.smollm2_claims --judge runs.jsonl
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time

from forgetlab.worker.engine.claims import CLAIMS_BY_TIER, scenario_for

TIER = "smollm2"


def distinct_scenarios(seeds: int) -> list:
    """Each distinct scenario once, seed 0's first."""
    seen, out = set(), []
    for seed in range(seeds):
        for claim in CLAIMS_BY_TIER[TIER][0]:
            for overrides in claim.scenarios.values():
                s = scenario_for(overrides, seed, TIER)
                if s.canonical_hash() not in seen:
                    seen.add(s.canonical_hash())
                    out.append(s)
    return out


def _init(device: str) -> None:
    import torch

    torch.set_num_threads(1)  # the GPU does the arithmetic; more threads per process only contend


def _train(args: tuple[dict, str]) -> dict:
    from forgetlab.core.scenario import parse
    from forgetlab.worker.engine.runtime import Runtime
    from forgetlab.worker.engine.train import train

    config, device = args
    scenario = parse(config)
    curve: list[dict] = []

    def on_event(event) -> None:
        if event.type == "metrics":
            curve.append({"step": event.step, "val_loss": event.val_loss, "task": event.task.accuracy,
                          "capabilities": {c: [m.accuracy, m.nll] for c, m in event.capabilities.items()}})

    started = time.perf_counter()
    runtime = Runtime.cuda() if device == "cuda" else Runtime.cpu()
    summary = train(scenario, on_event, runtime=runtime)
    return {"hash": scenario.canonical_hash(), "seed": scenario.seed, "config": config,
            "wall": round(time.perf_counter() - started, 1), "summary": summary.model_dump(mode="json"),
            "curve": curve}


def run(seeds: int, workers: int, out: str, deadline: float, device: str) -> None:
    todo = distinct_scenarios(seeds)
    print(f"{len(todo)} distinct runs for {seeds} seeds, {workers} processes on {device}", flush=True)
    started = time.perf_counter()
    pool = multiprocessing.get_context("spawn").Pool(workers, initializer=_init, initargs=(device,))
    done = 0
    with open(out, "a") as sink:
        results = pool.imap_unordered(_train, [(s.model_dump(mode="json"), device) for s in todo])
        while done < len(todo):
            left = deadline - (time.perf_counter() - started)
            try:
                row = results.next(timeout=max(left, 0.001))
            except multiprocessing.TimeoutError:
                print(f"deadline of {deadline:.0f} s reached with {done} of {len(todo)} runs done", flush=True)
                break
            sink.write(json.dumps(row) + "\n")
            sink.flush()
            done += 1
            print(f"[{time.perf_counter() - started:6.1f} s] {done}/{len(todo)} seed {row['seed']} "
                  f"wall {row['wall']} s", flush=True)
    pool.terminate()
    print(f"{done} runs in {time.perf_counter() - started:.1f} s", flush=True)


def as_run(row: dict, task_slots: int) -> dict:
    """A stored run as the claims' tests read it (worker/engine/claims.py's _run_one): its curve's points."""
    curve = [{"step": p["step"], "task": p["task"], "val_loss": p["val_loss"],
              "caps": {c: v[0] for c, v in p["capabilities"].items()},
              "nll": {c: v[1] for c, v in p["capabilities"].items()}} for p in row["curve"]]
    return {"summary": row["summary"], "curve": curve, "task_slots": task_slots}


def judge(path: str) -> None:
    """Every claim judged by the rule `forgetlab claims` uses (worker/engine/claims.py's judge(): each test over
    the seeds whose runs are all in the file, its mean, 90% interval and verdict), from the runs' stored curves."""
    from forgetlab.worker import claims_report
    from forgetlab.worker.engine.claims import claim_runs, judge as judge_claim

    with open(path) as lines:
        rows = [json.loads(line) for line in lines]
    # Runs are matched by their configs, not by cache hashes: the hash covers the engine version, and a file
    # measured by one engine should still be judged by a later one. Fields added since are left out.
    fields = sorted(rows[0]["config"]) if rows else []

    def key(config: dict) -> str:
        return json.dumps({f: config.get(f) for f in fields}, sort_keys=True)

    by_config = {key(r["config"]): r for r in rows}
    seeds = sorted({r["seed"] for r in rows})
    print(f"{len(rows)} runs, seeds {seeds}")
    judged = []
    for claim in CLAIMS_BY_TIER[TIER][0]:
        runs, units = {}, []
        for seed in seeds:
            arms = claim_runs(claim, 0, seed, TIER)
            stored = {k: by_config.get(key(s.model_dump(mode="json"))) for k, s, _ in arms.values()}
            if all(stored.values()):
                runs.update({k: as_run(stored[k], s.task_slots) for k, s, _ in arms.values()})
                units.append((0, seed))
        if units:
            judged.append(judge_claim(claim, units, runs, TIER))
        else:
            print(f"claim {claim.number}: no seed complete")
    print(claims_report.text(judged, len(seeds), 1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--out", default="smollm2_claims.jsonl")
    parser.add_argument("--deadline", type=float, default=3600.0, help="seconds; unfinished runs are dropped")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--judge", metavar="JSONL", help="only judge the runs in this file")
    args = parser.parse_args()
    if not args.judge:
        run(args.seeds, args.workers, args.out, args.deadline, args.device)
    judge(args.judge or args.out)


if __name__ == "__main__":
    main()
