"""`forgetlab claims`: the article's claims judged as a reviewer would (worker/engine/claims.py).

Registered by core/cli.py through the `forgetlab.commands` entry points, beside the engine's commands.
"""

from __future__ import annotations

import json

from forgetlab.core.cli import UsageError

# `claims --full`: 5 seeds on each of 2 of the 3 shipped bases (10 units): 150 runs, 15 minutes on 2 cores with
# --workers 2. All 3 bases would take 50% longer; --bases 3 runs them.
FULL_CLAIMS = {"seeds": 5, "bases": 2}


def cmd_claims(args) -> None:
    import os

    from tqdm import tqdm

    from forgetlab.core.tiers import get_tier

    from .threads import configure

    seeds = args.seeds or (FULL_CLAIMS["seeds"] if args.full else 1)
    bases = args.bases or min(FULL_CLAIMS["bases"] if args.full else 1, get_tier(args.tier).base_seeds)
    if seeds < 1 or bases < 1:
        raise UsageError("--seeds and --bases must be at least 1")
    if bases > get_tier(args.tier).base_seeds:
        raise UsageError(f"--bases: tier {args.tier} ships {get_tier(args.tier).base_seeds} base(s)")
    workers = args.workers or 1
    if workers < 1 or workers > (os.cpu_count() or 1) * 4:
        raise UsageError("--workers must be between 1 and four times the cores")
    if workers > 1 and (args.device == "cuda" or args.model):
        raise UsageError("--workers runs on the CPU with the tier's own bases; leave out --device cuda and --model")
    configure(args.tier, device=args.device)  # this process's runs; --workers' processes apply the rule each
    from .engine.claims import CLAIMS_BY_TIER, run_claims, runs_needed
    from .engine.runtime import Runtime

    runtime = Runtime.cuda() if args.device == "cuda" else None
    numbers = [c.number for c in CLAIMS_BY_TIER[args.tier][0]]
    only = None
    if args.only:
        try:
            only = [int(n) for n in args.only.split(",")]
        except ValueError:
            raise UsageError(f"--only: claim numbers separated by commas, such as 2,7 (got {args.only!r})") from None
        if unknown := sorted(set(only) - set(numbers)):
            raise UsageError(f"--only: no claim {', '.join(map(str, unknown))} on tier {args.tier} "
                             f"(claims {numbers[0]}-{numbers[-1]})")
    bar = tqdm(total=runs_needed(seeds, args.tier, bases, only), desc="claims", unit="run")
    from forgetlab.core.settings import get_settings

    cache = None if args.no_cache else get_settings().data_dir / "cache" / cache_name(
        runtime or Runtime.cpu_for_tier(args.tier))
    rows = run_claims(seeds, on_run=lambda key, seed: bar.update(1), model_dir=args.model, tier=args.tier,
                      runtime=runtime, bases=bases, workers=workers, cache_dir=cache, only=only)
    bar.close()
    from . import claims_report

    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(claims_report.markdown(rows) if args.markdown else claims_report.text(rows, seeds, bases))


def register(sub) -> None:
    p = sub.add_parser("claims", help="run paired scenarios that test each claim of the article")
    p.add_argument("--seeds", type=int, help="seeds per base (default 1; --full: 5)")
    p.add_argument("--bases", type=int, help="shipped bases to run on (default 1; --full: 2)")
    p.add_argument("--full", action="store_true", help="the reviewer's protocol: 5 seeds on each of 2 bases")
    p.add_argument("--only", metavar="N,N", help="judge only these claims, by number (e.g. 2,7)")
    p.add_argument("--markdown", action="store_true", help="print the claims table of docs/claims.md (Markdown)")
    p.add_argument("--no-cache", action="store_true", help="retrain every run (by default each run's result is "
                                                           "kept under the data dir and reused)")
    p.add_argument("--workers", type=int, help="processes to fan the runs out over, one torch thread each "
                                               "(default 1)")
    p.add_argument("--tier", choices=["synthetic", "smollm2"], default="synthetic",
                   help="whose scenarios (smollm2 judges forgetting by reference-answer NLL)")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--model", help="base model directory (default: the tier's base)")
    p.set_defaults(func=cmd_claims)


def cache_name(runtime) -> str:
    """The run cache's directory for runs computed by `runtime`: a run's result depends on where and how it
    computed, not only on its scenario. CPU float32 keeps the directory it always had; any other device or
    precision (CUDA's bf16, the CPU's bf16 opt-in) has its own."""
    from .engine.runtime import Runtime

    if runtime == Runtime.cpu():
        return "claims"
    return f"claims-{runtime.device}-{runtime.precision.replace(' ', '-')}"
