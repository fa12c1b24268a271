"""`forgetlab world`, `eval` and `pretrain`: the tiers' worlds, their base models measured, and the synthetic base
rebuilt from its recipe. Each imports torch and the engine inside its own function, after worker/threads.py has
configured it."""

from __future__ import annotations

import json

from forgetlab.core.cli import UsageError


def cmd_world(args) -> None:
    from forgetlab.core.tiers.synthetic import world

    if args.check or args.break_it:
        from .world_check import check

        if not check(args.break_it):
            raise SystemExit(1)
        return
    for family in world.FAMILIES.values():
        label = "capability" if family.kind == "capability" else f"task, {family.distance}"
        print(f"\n{family.name} ({label})\n  {family.description}")
        for prompt, answer in world.examples(family.name, args.examples, seed=7):
            print(f"    {prompt:<44} {answer}")
    print("\nProbes are held out from training; knowledge probes are the memorised facts themselves.")


def _load(path, tier=None):
    """A model directory, or the tier's base (converted on first use when it comes as a GGUF)."""
    from .engine.model import ModelLoadError, load, load_model

    try:
        return load(path) if path else load_model(tier.model())
    except ModelLoadError as e:
        raise UsageError(str(e)) from None


def _tier(name: str):
    from forgetlab.core.tiers import get_tier

    return get_tier(name)  # NotFound names the tiers there are


def _suite(path, tokenizer, tier):
    from forgetlab.core.probes import Suite

    from .engine.encoding import VocabularyError
    from .engine.evaluate import EncodedSuite

    try:
        suite = Suite.from_jsonl(path) if path else tier.probe_suite()
        return EncodedSuite.build(suite, tokenizer, max_new_tokens=tier.generation_tokens,
                                  refusal_capabilities=tier.refusal_capabilities)
    except (OSError, ValueError) as e:  # VocabularyError is a ValueError
        raise UsageError(str(e) if isinstance(e, (VocabularyError, ValueError)) else f"cannot read {path}: {e}")


def cmd_eval(args) -> None:
    import time

    from .threads import configure

    tier = _tier(args.tier)
    configure(tier.name)  # before torch loads (_tier is torch-free)
    from .engine.evaluate import evaluate
    from .engine.runtime import Runtime

    runtime = Runtime.cpu_for_tier(tier.name)  # the tier's CPU precision (FORGETLAB_CPU_BF16), as its runs use
    model, tokenizer = _load(args.model, tier)
    encoded = _suite(args.suite, tokenizer, tier)
    with runtime.autocast():
        if encoded.suite.judge is None:
            evaluate(model, encoded)  # warm-up: the first forward allocates (a judged suite is slow enough)
        started = time.perf_counter()
        result = evaluate(model, encoded)
    result["seconds"] = round(time.perf_counter() - started, 4)
    result["precision"] = runtime.evaluation_precision
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{'':<18}{'accuracy':>9}{'nll':>9}")
    for kind in ("capabilities", "tasks"):
        print(kind)
        for name, v in result[kind].items():
            print(f"  {name:<16}{v['accuracy']:>9.3f}{v['nll']:>9.3f}")
    for key in ("refusal", "over_refusal"):
        if key in result:
            print(f"{key:<18}{result[key]:>9.3f}")
    for task, share in result.get("format_rigidity", {}).items():
        print(f"rigidity[{task}]  {share:.3f}")
    for name, share in result.get("truncated", {}).items():  # judged suites: answers their budget cut
        print(f"truncated[{name}]  {share:.3f}")
    for name, parts in result.get("nll_parts", {}).items():
        content = "-" if parts["content"] is None else f"{parts['content']:.3f}"
        print(f"nll[{name}]  first {parts['first']:.3f}  content {content}  end {parts['end']:.3f}")
    print(f"evaluated in {result['seconds']:.3f} s ({result['precision']})")


def cmd_pretrain(args) -> None:
    from pathlib import Path

    from tqdm import tqdm

    from forgetlab.core.tiers.synthetic import PRETRAIN_SEEDS, base_dir

    from .threads import configure

    configure("synthetic")  # the wait policy; pretrain() itself trains on one thread, to reproduce bit for bit
    from .engine.pretrain import Recipe, pretrain, save_base

    if not args.out and args.seed not in PRETRAIN_SEEDS:
        raise UsageError(f"--seed: the shipped bases are seeds {', '.join(map(str, PRETRAIN_SEEDS))}; "
                         "give --out for another seed")
    recipe = Recipe(seed=args.seed, **({"steps": args.steps} if args.steps else {}))
    bar = tqdm(total=recipe.steps, desc="pretraining", unit="step")

    def on_progress(step: int, loss: float, result: dict | None) -> None:
        bar.update(1)
        postfix = {"loss": f"{loss:.3f}"}
        if result:
            postfix.update({k[:5]: f"{v['accuracy']:.2f}" for k, v in result["capabilities"].items()})
        bar.set_postfix(postfix, refresh=False)

    model, tokenizer, report = pretrain(recipe, on_progress)
    bar.close()
    out = Path(args.out) if args.out else base_dir(PRETRAIN_SEEDS.index(args.seed))  # base/, base-1/, base-2/
    save_base(model, tokenizer, report, out)
    caps = ", ".join(f"{k} {v['accuracy']:.2f}" for k, v in report["eval"]["capabilities"].items())
    print(f"saved to {out} ({report['parameters']:,} parameters, {report['seconds']} s): {caps}")
    if not report["meets_bar"]:
        raise UsageError("the rebuilt base does not meet the quality bar; see recipe.json")


def register(sub) -> None:
    """world, eval and pretrain, added to `forgetlab` (worker/cli.py calls it)."""
    p = sub.add_parser("world", help="show example prompts and answers of every capability and task")
    p.add_argument("--examples", type=int, default=3, help="examples per capability (default 3)")
    p.add_argument("--check", action="store_true", help="check every shipped base is off the ceiling: each "
                   "capability's accuracy in [0.80, 0.97] (exit 1 if not)")
    p.add_argument("--break-it", action="store_true", help="with --check: also run break-it on every base and "
                   "seeds 0 and 1 and check its mean drop lies in [0.35, 0.75]")
    p.set_defaults(func=cmd_world)

    p = sub.add_parser("eval", help="evaluate a model on every capability and task")
    p.add_argument("--tier", default="synthetic", help="whose base and suites (default: synthetic; see `forgetlab tiers`)")
    p.add_argument("--model", help="model directory (default: the tier's base)")
    p.add_argument("--suite", help="a JSONL probe suite (default: the tier's)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("pretrain", help="rebuild the base model from its recipe")
    p.add_argument("--seed", type=int, default=1, help="the base's seed (default 1; the tier ships seeds 1, 5 and 6)")
    p.add_argument("--steps", type=int, help="optimizer steps (default: the recipe's)")
    p.add_argument("--out", help="output directory (default: the shipped base of that seed, "
                                 "core/tiers/synthetic/base, base-1 or base-2)")
    p.set_defaults(func=cmd_pretrain)
