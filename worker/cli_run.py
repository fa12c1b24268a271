"""`forgetlab run` and `sweep`: fine-tune a tier's base on a scenario (or a grid of them) from the command line,
with your own data (--data) and suites (--user-suite), and report what it forgot. Each imports torch and the
engine inside its own function, after worker/threads.py has configured it."""

from __future__ import annotations

import json

from forgetlab.core.cli import UsageError


def _dataset(path: str):
    """--data FILE: the validated dataset, or a UsageError after printing every bad line (file:line: field: why)."""
    import sys
    from pathlib import Path

    from forgetlab.core.datasets import DatasetError, TooLarge, parse_jsonl, where

    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror or e}") from None
    try:
        return parse_jsonl(data, Path(path).name)
    except TooLarge as e:
        raise UsageError(f"{path}: {e.message}") from None
    except DatasetError as e:
        for err in e.errors:
            print(f"{path}: {where(err)}: {err['reason']}", file=sys.stderr)
        raise UsageError(f"{path} is not a valid dataset: {e.message.split(': ', 1)[-1]}") from None


def user_suites(paths: list[str] | None, tier) -> list:
    """--user-suite FILE (repeatable): each file validated as a suite (its name: the file's, less .jsonl), or a
    UsageError after printing every bad line (file:line: field: why); and only in a tier that measures them
    (`tier`: None leaves that to the scenario's own check)."""
    import sys
    from pathlib import Path

    from forgetlab.core import suites
    from forgetlab.core.datasets import TooLarge

    found = []
    for path in paths or []:
        try:
            data = Path(path).read_bytes()
        except OSError as e:
            raise UsageError(f"cannot read {path}: {e.strerror or e}") from None
        try:
            found.append(suites.parse_suite(data, Path(path).name.removesuffix(".jsonl")))
        except TooLarge as e:
            raise UsageError(f"{path}: {e.message}") from None
        except suites.SuiteError as e:
            for err in e.errors:
                print(f"{path}: {suites.where(err)}: {err['reason']}", file=sys.stderr)
            raise UsageError(f"{path} is not a valid suite: {e.message.split(': ', 1)[-1]}") from None
    if found and tier is not None and not suites.accepts(tier):
        raise UsageError(suites.refusal_reason(tier))
    if found and tier is not None and (reason := suites.names_problem([s.name for s in found], tier)):
        raise UsageError(reason)
    return found


def _scenario(args, dataset=None, own_suites=()):
    from forgetlab.core.presets import scenario_from
    from forgetlab.core.scenario import ScenarioError, coerce

    data: dict = {}
    if args.config:
        import yaml

        try:
            with open(args.config) as f:
                data = yaml.safe_load(f) or {}
        except (OSError, yaml.YAMLError) as e:
            raise UsageError(f"cannot read {args.config}: {str(e).splitlines()[0]}") from None
        if not isinstance(data, dict):
            raise UsageError(f"{args.config} must hold a mapping of scenario fields")
    preset = args.preset
    if preset and args.tier and args.tier != "synthetic" and not preset.startswith(args.tier + "-"):
        preset = f"{args.tier}-{preset}"  # --tier smollm2 --preset break-it: that tier's break-it
    try:
        for item in args.set or []:
            name, sep, value = item.partition("=")
            if not sep:
                raise UsageError(f"--set takes field=value, got {item!r}")
            data[name.strip()] = coerce(name.strip(), value.strip())
        if dataset is not None:  # --data names the task; a second task would be silently dropped
            if any(item.partition("=")[0].strip() == "task" for item in args.set or []):
                raise UsageError("--data sets the task; leave out --set task=...")
            data["task"] = dataset.task
        if own_suites:  # their ids: part of the run's identity, as a dataset's is
            data["suites"] = [suite.id for suite in own_suites]
        return scenario_from(preset or None, args.tier or None, data)  # the builder's and assignments' rules
    except ScenarioError as e:
        raise UsageError("invalid scenario: " + "; ".join(f"{k}: {v}" for k, v in e.errors.items())) from None


def _accuracy_line(point: dict) -> dict:
    line = {name[:5]: f"{v['accuracy']:.2f}" for name, v in point["capabilities"].items()}
    line["task"] = f"{point['task']['accuracy']:.2f}"
    return line


def cmd_run(args) -> None:
    from tqdm import tqdm

    from forgetlab.core.suites import names_problem
    from forgetlab.core.tiers import get_tier

    from .threads import configure

    dataset = _dataset(args.data) if args.data else None
    own_suites = user_suites(args.user_suite, None)
    scenario = _scenario(args, dataset, own_suites)  # refuses suites in a tier that does not measure them
    if own_suites and (reason := names_problem([suite.name for suite in own_suites], get_tier(scenario.tier))):
        raise UsageError(reason)
    configure(scenario.tier)  # before torch loads (reading the scenario is torch-free)
    from .engine.train import fine_tune

    save = _saver(args.save, args.model) if args.save else None  # checks --save before training
    events: list[dict] = []
    bar = tqdm(total=scenario.total_steps, desc=args.preset or "run", unit="step")

    def on_event(event) -> None:
        data = event.model_dump(mode="json")
        events.append(data)
        if event.type == "metrics":
            bar.update(event.step - bar.n)
            bar.set_postfix(_accuracy_line(data))
        elif event.type == "early_stopped":
            bar.write(f"early stopped at step {event.step}: {event.reason}")

    summary, model, _ = _train_or_fail(fine_tune, scenario, on_event, args.model, dataset, own_suites)
    summary = summary.model_dump(mode="json")
    bar.close()
    print_summary(summary, scenario.task)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"scenario": scenario.model_dump(mode="json"), "events": events, "summary": summary}, f, indent=1)
        print(f"event log and summary written to {args.json}")
    if save:
        save(model, scenario)


def _train_or_fail(train, scenario, on_event, model_dir, dataset=None, own_suites=()):
    from forgetlab.core.datasets import split
    from forgetlab.core.scenario import ScenarioError
    from forgetlab.core.tiers import tier_for

    from .engine.encoding import VocabularyError
    from .engine.model import ModelLoadError

    tier = tier_for(scenario.tier, model_dir)
    if dataset is not None:  # the file is the task: no database, the CLI hands the pairs to the tier itself
        tier = tier.with_dataset(dataset.task, split(dataset.pairs))
    if own_suites:  # likewise the suites: more capabilities, measured beside the tier's
        tier = tier.with_suites({suite.name: suite.probes() for suite in own_suites})
    try:
        return train(scenario, on_event, tier=tier)
    except (ModelLoadError, VocabularyError, ScenarioError) as e:  # VocabularyError: --data words the base
        raise UsageError(str(e)) from None  # cannot spell; ScenarioError: a --model base too small for the scenario


def print_summary(summary: dict, task: str) -> None:
    print(f"{'':<14}{'base':>7}{'final':>7}{'change':>8}")
    for name, base in summary["baseline"].items():
        final = summary["final"][name]
        print(f"{name:<14}{base:>7.2f}{final:>7.2f}{final - base:>+8.2f}")
    t = summary["task_accuracy"]
    print(f"{'task ' + task:<14}{t['baseline']:>7.2f}{t['final']:>7.2f}{t['final'] - t['baseline']:>+8.2f}")
    if summary.get("refusal") is not None:
        print(f"refusal of harmful requests {summary['refusal']:.2f}, of benign ones {summary['over_refusal']:.2f}")
    if summary.get("format_rigidity") is not None:
        print(f"general answers in the task's template: {summary['format_rigidity']:.0%}")
    for point in summary.get("wise_ft") or []:
        caps = " ".join(f"{c[:5]} {v:.2f}" for c, v in point["capabilities"].items())
        print(f"WiSE-FT alpha {point['alpha']:.2f}: task {point['task']:.2f} | {caps}")
    stop = " (early stopped)" if summary["early_stopped"] else ""
    if summary.get("precision", "float32") != "float32":  # how it computed, where not float32 (runtime.py)
        stop += f" in {summary['precision']}"
    print(f"{summary['steps']} steps in {summary['seconds']:.1f} s{stop}; mean forgetting "
          f"{sum(summary['forgetting'].values()) / len(summary['forgetting']):+.3f}")



def cmd_sweep(args) -> None:
    import yaml
    from tqdm import tqdm

    from forgetlab.core import seeds
    from forgetlab.core.compare import best, config_diff, mean_drop
    from forgetlab.core.grid import expand
    from forgetlab.core.scenario import ScenarioError

    from .engine.parallel import run_many  # torch-free: each of its processes applies worker/threads.py's rule

    try:
        with open(args.grid) as f:
            spec = yaml.safe_load(f)
        scenarios = expand(spec)
    except (OSError, yaml.YAMLError) as e:
        raise UsageError(f"cannot read {args.grid}: {str(e).splitlines()[0]}") from None
    except ScenarioError as e:
        raise UsageError("invalid sweep: " + "; ".join(f"{k}: {v}" for k, v in e.errors.items())) from None
    bar = tqdm(total=len({s.canonical_hash() for s in scenarios}), desc="sweep", unit="run")
    summaries = run_many(scenarios, on_done=lambda done, summary: bar.update(1), model_dir=args.model)
    bar.close()
    runs = [{"id": i + 1, "config": s.model_dump(mode="json"), "summary": summary}
            for i, (s, summary) in enumerate(zip(scenarios, summaries))]
    fields = config_diff(runs) or ["seed"]
    groups = seeds.group(runs)
    by_seed = seeds.seeded(groups)
    pick = None if by_seed else best(runs)  # with seeds, the pick is a setting (below), never one seed
    print(f"{'run':<5}" + "".join(f"{f:>16}" for f in fields) + f"{'task acc':>10}{'mean drop':>11}")
    for run in runs:
        mark = "  <- learns the task with the least forgetting" if pick and run["id"] == pick["id"] else ""
        print(f"{run['id']:<5}" + "".join(f"{str(run['config'][f]):>16}" for f in fields)
              + f"{run['summary']['task_accuracy']['final']:>10.2f}{mean_drop(run['summary']):>11.3f}{mark}")
    settings = [seeds.summarize(g) for g in groups] if by_seed else []
    chosen = seeds.best(settings) if len(settings) > 1 else None
    if by_seed:
        print("across seeds (mean [90% interval] over each setting's seeds):")
        for i, (g, summary) in enumerate(zip(groups, settings)):
            m = summary["metrics"]
            name = " ".join(f"{f}={g[0]['config'][f]}" for f in fields if f not in seeds.SEED_FIELDS) or "these runs"
            mark = "  <- learns the task with the least forgetting on the seed mean" if i == chosen else ""
            print(f"  {name}: {summary['n']} seeds, task acc {_span(m['task accuracy'])}, "
                  f"mean drop {_span(m['mean drop'])}{mark}")
    if by_seed and len(settings) > 1 and chosen is None:
        print("no setting reached 0.90 task accuracy on its seed mean")
    elif not by_seed and pick is None:
        print("no run reached 0.90 task accuracy")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"runs": runs, "varying": fields, "best": pick and pick["id"],
                       "best_group": None if chosen is None else {"runs": [r["id"] for r in groups[chosen]],
                                                                  **settings[chosen]}}, f, indent=1)
        print(f"sweep results written to {args.json}")


def _span(value: dict) -> str:
    return f"{value['mean']:.3f}" + (f" [{value['lo']:.3f}, {value['hi']:.3f}]" if value["lo"] is not None else "")



def _saver(out_dir: str, model_dir: str | None):
    """`run --save DIR`: the target checked now (a bad path fails before training, not after), and a
    function that saves the fine-tuned model there (see worker/engine/artifacts.py)."""
    from .engine.artifacts import ArtifactError, check_target

    try:
        check_target(out_dir)
    except ArtifactError as e:
        raise UsageError(f"--save: {e}") from None

    def save(model, scenario) -> None:
        from forgetlab.core.tiers import tier_for

        from .engine.artifacts import save_run, size_text

        manifest = save_run(model, scenario, tier_for(scenario.tier, model_dir), out_dir)
        what = "LoRA adapter" if manifest["kind"] == "adapter" else "fine-tuned model"
        print(f"{what} saved to {out_dir} ({size_text(out_dir)}); "
              f"gate it: forgetlab gate --base {scenario.tier if not model_dir else model_dir} --candidate {out_dir}"
              + (f" --tier {scenario.tier}" if model_dir else ""))

    return save


def register(sub) -> None:
    """run and sweep, added to `forgetlab` (worker/cli.py calls it)."""
    p = sub.add_parser("run", help="fine-tune the base on a scenario and report what it forgot")
    p.add_argument("config", nargs="?", help="a YAML file of scenario fields")
    p.add_argument("--preset", help="start from a preset (see `forgetlab presets`)")
    p.add_argument("--tier", help="the world and base model (see `forgetlab tiers`); with --preset, that tier's "
                                  "version of the preset")
    p.add_argument("--set", action="append", metavar="FIELD=VALUE", help="override one field (repeatable)")
    p.add_argument("--json", metavar="OUT", help="write the event log and the summary to OUT")
    p.add_argument("--model", help="base model directory (default: the tier's base)")
    p.add_argument("--data", metavar="FILE.jsonl", help='fine-tune on your own data: one {"prompt": ..., "response": '
                                                        '...} per line (sets the task to data:<id>)')
    p.add_argument("--user-suite", action="append", metavar="FILE.jsonl",
                   help="also measure your own capability suite (repeatable; chat tiers; docs/engineers.md)")
    p.add_argument("--save", metavar="DIR", help="save the fine-tuned model to DIR (a LoRA run: its adapter only)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("sweep", help="run a grid of scenarios in parallel and compare them")
    p.add_argument("grid", help="YAML: {preset: NAME or base: {...}, grid: {field: [values]}}")
    p.add_argument("--json", metavar="OUT", help="write every run's config and summary to OUT")
    p.add_argument("--model", help="base model directory (default: the tier's base)")
    p.set_defaults(func=cmd_sweep)
