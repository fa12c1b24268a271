"""`forgetlab gate`: a fine-tuned model against its base on every capability probe (worker/engine/gate.py).

Registered by core/cli.py through the `forgetlab.commands` entry points, beside the engine's commands.
"""

from __future__ import annotations

import json

from forgetlab.core.cli import UsageError


def cmd_gate(args) -> None:
    """Gate a fine-tuned candidate against its base on every capability probe; exit 1 if one fails."""
    import sys
    from pathlib import Path

    from forgetlab.core.errors import NotFound
    from forgetlab.core.gate import junit, table
    from forgetlab.core.tiers import all_tiers, get_tier

    from .threads import configure

    if args.base in all_tiers():  # a tier name: its base model and its suites
        if args.tier and args.tier != args.base:
            raise UsageError(f"--base {args.base} is a tier; --tier {args.tier} contradicts it")
        tier_name, base_dir = args.base, None
    elif Path(args.base).exists():
        tier_name, base_dir = args.tier or "synthetic", args.base
    else:
        raise UsageError(f"--base {args.base} is neither a tier ({', '.join(all_tiers())}) nor a model directory")
    try:
        tier = get_tier(tier_name)
    except NotFound as e:
        raise UsageError(e.message) from None
    if args.user_suite:  # your own suites: gated beside the tier's capabilities, under their names
        from .cli_run import user_suites

        tier = tier.with_suites({suite.name: suite.probes() for suite in user_suites(args.user_suite, tier)})
    if not 0.0 <= args.max_drop <= 1.0:
        raise UsageError(f"--max-drop is an accuracy drop between 0 and 1, got {args.max_drop}")
    if args.max_nll_rise is not None and not args.max_nll_rise >= 0.0:
        raise UsageError(f"--max-nll-rise is an answer NLL rise in nats per token, 0 or more, got {args.max_nll_rise}")
    for flag, out in (("--json", args.json), ("--junit", args.junit)):
        if out and not Path(out).resolve().parent.is_dir():
            raise UsageError(f"{flag}: {Path(out).parent} does not exist")
    capabilities = [c.strip() for c in args.suite.split(",") if c.strip()] if args.suite else None
    configure(tier_name, device=args.device or "cpu")  # before torch loads
    from .engine.gate import GateError, run_gate

    try:
        report = run_gate(tier, args.candidate, base_dir=base_dir, capabilities=capabilities,
                          max_drop=args.max_drop, max_nll_rise=args.max_nll_rise, seed=args.seed, device=args.device,
                          cache=not args.no_cache)
    except GateError as e:
        raise UsageError(str(e)) from None
    candidate = report["candidate"]
    print(f"gate: {candidate['path']} ({candidate['kind']}) against {report['base']['label']}, "
          f"{report['tier']} suites ({report['scoring']}), max drop {report['max_drop']:.3f}"
          + (f", max NLL rise {report['max_nll_rise']:.3f}" if report["max_nll_rise"] is not None else ""))
    if candidate["same_base"] is False:  # allowed (a fine-tune against an earlier one), but worth knowing
        print(f"note: {candidate['path']} was fine-tuned from another base "
              f"({candidate['artifact']['base']['revision']})")
    print("\n".join(table(report)))
    for name in report["failed"]:
        for item in report["capabilities"][name]["regressed"][:3]:
            print(f"  {name} lost: {item['prompt']!r} expected {item['expected']!r}, got {item['output']!r}")
    cached = " (the base's items from the cache)" if report["base"]["cached"] else ""
    print(f"gated in {report['seconds']['total']:.1f} s{cached}: "
          + ("PASSED" if report["passed"] else f"FAILED ({', '.join(report['failed'])})"))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
        print(f"report written to {args.json}")
    if args.junit:
        Path(args.junit).write_text(junit(report, seconds=report["seconds"]["total"]), encoding="utf-8")
        print(f"JUnit report written to {args.junit}")
    if not report["passed"]:
        sys.stdout.flush()
        raise SystemExit(1)


def register(sub) -> None:
    p = sub.add_parser("gate", help="capability regression gate: a fine-tuned model against its base (exit 1: a "
                                    "capability fails)")
    p.add_argument("--base", required=True, metavar="DIR|TIER",
                   help="a tier name (its base model) or a model directory")
    p.add_argument("--candidate", required=True, metavar="DIR",
                   help="the fine-tuned model: a model directory or a LoRA adapter directory (`run --save`)")
    p.add_argument("--tier", help="whose capability suites, when --base is a directory (default: synthetic)")
    p.add_argument("--suite", metavar="CAP1,CAP2", help="gate only these capabilities (default: every one)")
    p.add_argument("--user-suite", action="append", metavar="FILE.jsonl",
                   help="also gate your own capability suite (repeatable; chat tiers; docs/engineers.md)")
    p.add_argument("--max-drop", type=float, default=0.05,
                   help="a capability fails when its accuracy drops by more than this (default 0.05)")
    p.add_argument("--max-nll-rise", type=float, metavar="NATS",
                   help="a capability also fails when its answer NLL rises by more than this many nats per token "
                        "(default: NLL is reported, not judged)")
    p.add_argument("--json", metavar="OUT", help="write the report (schema: worker/engine/gate.py) to OUT")
    p.add_argument("--junit", metavar="FILE", help="write a JUnit XML report to FILE (one test case per capability)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--device", choices=["cpu", "cuda"], help="where to evaluate (default: cuda when there is one)")
    p.add_argument("--no-cache", action="store_true",
                   help="measure the base again (judged suites keep its items in the data dir's cache)")
    p.set_defaults(func=cmd_gate)
