"""A LoRA run's evaluation through its adapters against through merged weights (worker/engine/lora.py, merged()).

Trains smollm2-break-it (or --preset) once, through the adapter path, and at every evaluation point measures the
model both ways, adapters first, then merged weights: the validation loss and the evaluation (the point's suite),
each timed. Prints, per point and summed, the seconds of each and their ratio, and whether the two agree under
the rule in docs/benchmarks.md ("Evaluating a LoRA run through merged weights"): every verdict and generated text
equal, every NLL within 1e-4 relative, validation losses within 1e-5 relative.

Run: .venv/bin/python -m bench.merged_eval [--preset NAME] [--seed N] [--steps N]
"""

from __future__ import annotations

import argparse
import contextlib
import time

from forgetlab.worker.threads import configure

NLL_REL, VAL_REL = 1e-4, 1e-5


def close(a: float, b: float, rel: float) -> bool:
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-12)


def differences(adapters: dict, merged: dict) -> list[str]:
    """Where two evaluate() results disagree under the rule: verdicts, texts, NLLs."""
    found = []
    if adapters.get("outputs") != merged.get("outputs"):
        changed = [p for p, text in adapters.get("outputs", {}).items() if merged["outputs"].get(p) != text]
        found.append(f"{len(changed)} generated texts differ")
    for key in ("items", "task_items"):
        for name, rows in adapters.get(key, {}).items():
            for (passed, nll), (passed2, nll2) in zip(rows, merged[key][name]):
                if passed != passed2:
                    found.append(f"{name}: a verdict differs")
                elif not close(nll, nll2, NLL_REL):
                    found.append(f"{name}: an NLL differs ({nll} vs {nll2})")
    for kind in ("capabilities", "tasks"):
        for name, figures in adapters.get(kind, {}).items():
            if figures["accuracy"] != merged[kind][name]["accuracy"] or \
                    not close(figures["nll"], merged[kind][name]["nll"], NLL_REL):
                found.append(f"{name}: accuracy or mean NLL differs")
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="smollm2-break-it")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, help="train only this many steps (a shorter run, for a quick look)")
    args = parser.parse_args()
    configure("smollm2")  # worker/threads.py's rule, before torch loads, as every entry point of the lab
    from forgetlab.core.presets import preset_scenario
    from forgetlab.core.scenario import with_overrides
    from forgetlab.worker.engine import train as train_module
    from forgetlab.worker.engine.lora import merged

    overrides = {"seed": args.seed}
    if args.steps:
        s = preset_scenario(args.preset)
        overrides |= {"epochs": 1, "task_examples": args.steps * s.batch_size}
    scenario = with_overrides(preset_scenario(args.preset), overrides)
    evaluate, validation_loss = train_module.evaluate, train_module.validation_loss
    seconds = {"evaluate": [0.0, 0.0], "validation": [0.0, 0.0]}
    problems: list[str] = []

    def both(kind, function, compare):
        def measured(model, *rest):
            started = time.perf_counter()
            through_adapters = function(model, *rest)
            middle = time.perf_counter()
            with merged(model):
                through_merged = function(model, *rest)
            ended = time.perf_counter()
            seconds[kind][0] += middle - started
            seconds[kind][1] += ended - middle
            print(f"  {kind}: adapters {middle - started:.1f} s, merged {ended - middle:.1f} s", flush=True)
            problems.extend(compare(through_adapters, through_merged))
            return through_adapters
        return measured

    train_module.merged = lambda model: contextlib.nullcontext()  # the run itself takes the adapter path
    train_module.evaluate = both("evaluate", evaluate, differences)
    train_module.validation_loss = both(
        "validation", validation_loss,
        lambda a, b: [] if close(a, b, VAL_REL) else [f"a validation loss differs ({a} vs {b})"])
    summary = train_module.train(scenario)
    print(f"{args.preset}, seed {args.seed}: {summary.steps} steps")
    for kind, (adapters, merged_seconds) in seconds.items():
        ratio = merged_seconds / adapters if adapters else float("nan")
        print(f"{kind}: adapters {adapters:.1f} s, merged {merged_seconds:.1f} s: {ratio:.2f}x")
    total = [sum(pair) for pair in zip(*seconds.values())]
    print(f"both: adapters {total[0]:.1f} s, merged {total[1]:.1f} s: {total[1] / total[0]:.2f}x (rule: <= 0.87x "
          "for the evaluations)")
    print("agree: yes" if not problems else "agree: NO\n" + "\n".join(sorted(set(problems))))


if __name__ == "__main__":
    main()
