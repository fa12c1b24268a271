"""bf16 autocast against float32 on this machine's CPU, for the smollm2 tier: the rule in docs/real-model.md
("bf16 on a CPU with bf16 matmul units"), both arms in one process, their ratio and their agreement.

--eval: the base's full-suite evaluation (every item of every suite) in fp32 and under bf16 autocast
(`Runtime.autocast()`), in turn. Prints each arm's wall and parts, the ratio, and item by item: knowledge items
whose fp32 margin (best minus second-best option log-likelihood) is >= 0.05 nats and chose the same option in
both, generated items with the same greedy text, and each capability's mean reference NLL relative difference.

--train: `smollm2-break-it` (seed 0) with training in fp32 and in bf16, both arms evaluated in fp32 (so only
training differs; `Runtime(..., evaluation=False)`). Prints the training part of the wall (wall less
evaluation and setup) of each arm and the ratio, and the final task accuracy, each capability's final accuracy
and final mean reference NLL of each arm with their differences against the rule's tolerances.

The load average is printed beside every figure. --model DIR and --head N run it on another base and on the
first N items of every suite (the tests' 2-layer SmolLM2: a smoke run, not a measurement).

--train --order bf16 --save P (and --order fp32 --save P) runs one arm and keeps its summary; --compare
P.fp32.json P.bf16.json prints part (b) from the two (the results docs/real-model.md compares came this way).

Run: .venv/bin/python -m bench.cpu_bf16 --eval | --train [--order fp32,bf16] [--save P] [--model DIR] [--head N]
     .venv/bin/python -m bench.cpu_bf16 --compare P.fp32.json P.bf16.json
"""

from __future__ import annotations

import argparse
import os
import time

from forgetlab.worker.threads import configure

MARGIN = 0.05  # nats: knowledge items closer than this in fp32 may flip on rounding alone (the rule)


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def eval_arm(model, encoded, runtime, label: str) -> dict:
    """One full evaluation under `runtime`: its result, wall, parts, and every knowledge item's option log-likelihoods."""
    from forgetlab.worker.engine import choice, evaluate as evaluate_module

    spent = dict.fromkeys(["choose", "generate_all", "score"], 0.0)
    logliks: list = []
    originals = {name: getattr(evaluate_module, name) for name in spent}
    original_logliks = choice.option_logliks

    def timed(name):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return originals[name](*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - started
        return wrapper

    def keep_logliks(*args, **kwargs):
        rows = original_logliks(*args, **kwargs)
        logliks.extend(row.float().tolist() for row in rows)
        return rows

    for name in spent:
        setattr(evaluate_module, name, timed(name))
    choice.option_logliks = keep_logliks
    before = load()
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        with runtime.autocast():
            result = evaluate_module.evaluate(model, encoded)
    finally:
        for name, fn in originals.items():
            setattr(evaluate_module, name, fn)
        choice.option_logliks = original_logliks
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(f"[{label}] full-suite evaluation, {len(encoded.suite.probes)} items: {seconds:.1f} s wall, {cpu:.1f} s "
          f"of CPU time (a busy machine's share shows in their gap): multiple choice "
          f"{spent['choose']:.1f} s, generation {spent['generate_all']:.1f} s, reference NLLs {spent['score']:.1f} s "
          f"({before} at the start, {load()} at the end)", flush=True)
    return {"result": result, "seconds": seconds, "logliks": logliks}


def compare_eval(fp32: dict, bf16: dict, encoded) -> bool:
    """The evaluation rule's part (2), printed; True when it holds."""
    ok = True
    margins = kept = 0
    for a, b in zip(fp32["logliks"], bf16["logliks"]):
        ranked = sorted(a, reverse=True)
        if ranked[0] - ranked[1] >= MARGIN:
            margins += 1
            kept += a.index(max(a)) == b.index(max(b))
    agree_all = sum(a.index(max(a)) == b.index(max(b)) for a, b in zip(fp32["logliks"], bf16["logliks"]))
    print(f"knowledge: {kept} of {margins} items with an fp32 margin >= {MARGIN} nats chose the same option "
          f"(rule: all); all items: {agree_all} of {len(fp32['logliks'])} the same")
    ok &= kept == margins
    out32, out16 = fp32["result"].get("outputs", {}), bf16["result"].get("outputs", {})
    choice_prompts = {p.prompt for name in (encoded.choices or {}) for p in encoded.probes(name)}
    generated = [p for p in out32 if p not in choice_prompts]
    same = sum(out32[p] == out16.get(p) for p in generated)
    share = same / len(generated) if generated else 1.0
    print(f"greedy text: {same} of {len(generated)} generated items the same ({share:.1%}; rule: >= 98%)")
    ok &= share >= 0.98
    for kind in ("capabilities", "tasks"):
        for name, v in fp32["result"][kind].items():
            w = bf16["result"][kind][name]
            rel = (w["nll"] - v["nll"]) / v["nll"]
            within = abs(rel) <= 0.01
            if kind == "capabilities":
                ok &= within
            print(f"  {name:<12} nll fp32 {v['nll']:.4f} bf16 {w['nll']:.4f} ({rel:+.2%}; "
                  f"{'rule: within 1%' if kind == 'capabilities' else 'a task, not in the rule'}) "
                  f"accuracy fp32 {v['accuracy']:.3f} bf16 {w['accuracy']:.3f}")
    return ok


def run_eval(args, order: list[str]) -> None:
    import torch

    from forgetlab.core.tiers import get_tier
    from forgetlab.worker.engine.evaluate import EncodedSuite
    from forgetlab.worker.engine.model import load as load_dir, load_model
    from forgetlab.worker.engine.runtime import Runtime

    tier = get_tier("smollm2")
    model, tokenizer = load_dir(args.model) if args.model else load_model(tier.model())
    suite = tier.probe_suite()
    suite = suite.head(args.head) if args.head else suite
    encoded = EncodedSuite.build(suite, tokenizer, max_new_tokens=tier.generation_tokens,
                                 refusal_capabilities=tier.refusal_capabilities)
    runtimes = {"fp32": Runtime.cpu(), "bf16": Runtime("cpu", torch.bfloat16)}
    arms = {label: eval_arm(model, encoded, runtimes[label], label) for label in order}
    ratio = arms["fp32"]["seconds"] / arms["bf16"]["seconds"]
    print(f"evaluation: fp32 {arms['fp32']['seconds']:.1f} s, bf16 {arms['bf16']['seconds']:.1f} s: "
          f"{ratio:.2f}x (rule: >= 1.3x)")
    agree = compare_eval(arms["fp32"], arms["bf16"], encoded)
    print(f"evaluation rule: (1) {'holds' if ratio >= 1.3 else 'FAILS'}, (2) {'holds' if agree else 'FAILS'}")


# The suites' 90% interval half-widths (docs/real-model.md, "Base levels of the current suites").
HALF_WIDTH = {"knowledge": 0.047, "instruction": 0.063, "reasoning": 0.055, "format": 0.046, "safety": 0.057}


def run_train(args, order: list[str]) -> None:
    import torch

    from forgetlab.core.presets import preset_scenario
    from forgetlab.core.tiers import get_tier
    from forgetlab.worker.engine.base_view import base_view
    from forgetlab.worker.engine.runtime import Runtime
    from forgetlab.worker.engine.train import train

    s = preset_scenario("smollm2-break-it").model_copy(update={"seed": 0})
    tier = get_tier(s.tier)
    if args.model:
        tier = tier.with_model(args.model)
    base_view(tier, s.task)  # the base's step-0 level, cached (fp32): neither arm pays for it
    arms = {}
    for label in order:
        runtime = Runtime.cpu() if label == "fp32" else Runtime("cpu", torch.bfloat16, evaluation=False)
        before = load()
        summary = train(s, tier=tier, runtime=runtime)
        training = summary.seconds - summary.eval_seconds - summary.setup_seconds
        print(f"[{label}] smollm2-break-it seed 0: wall {summary.seconds:.1f} s, evaluation {summary.eval_seconds:.1f} s, "
              f"setup {summary.setup_seconds:.1f} s, training {training:.1f} s (the loop's own count: "
              f"{summary.train_seconds:.1f} s); {summary.precision} ({before} at the start, {load()} at the end)",
              flush=True)
        arms[label] = (summary, training)
        if args.save:
            with open(f"{args.save}.{label}.json", "w") as out:
                out.write(summary.model_dump_json())
    if len(arms) < 2:  # one arm alone (--order bf16): compare its saved summary later (--compare)
        return
    (a, ta), (b, tb) = arms["fp32"], arms["bf16"]
    ok_speed = ta / tb >= 1.3
    print(f"training part: fp32 {ta:.1f} s, bf16 {tb:.1f} s: {ta / tb:.2f}x (rule (a): >= 1.3x: "
          f"{'holds' if ok_speed else 'FAILS'})")
    compare_train(a, b)


def compare_train(a, b) -> bool:
    """The training rule's part (b), printed from two summaries (fp32, bf16); True when it holds."""
    task = b.task_accuracy.final - a.task_accuracy.final
    ok = abs(task) <= 0.05
    print(f"task final accuracy fp32 {a.task_accuracy.final:.3f} bf16 {b.task_accuracy.final:.3f} "
          f"({task:+.3f}; rule: within 0.05)")
    for name, acc in a.final.items():
        d = b.final[name] - acc
        rel = (b.final_nll[name] - a.final_nll[name]) / a.final_nll[name]
        half = HALF_WIDTH.get(name)
        within = half is not None and abs(d) <= half and abs(rel) <= 0.05
        ok &= within
        print(f"  {name:<12} accuracy fp32 {acc:.3f} bf16 {b.final[name]:.3f} ({d:+.3f}; rule: within "
              f"{half}) nll fp32 {a.final_nll[name]:.4f} bf16 {b.final_nll[name]:.4f} ({rel:+.2%}; rule: within 5%)")
    print(f"training rule (b): {'holds' if ok else 'FAILS'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--eval", action="store_true", help="the evaluation rule: the base's full evaluation")
    parser.add_argument("--train", action="store_true", help="the training rule: smollm2-break-it seed 0")
    parser.add_argument("--order", default="fp32,bf16", help="which arm runs first")
    parser.add_argument("--model", help="another base directory (a smoke run on the tests' 2-layer SmolLM2)")
    parser.add_argument("--save", help="--train: write each arm's summary to SAVE.<arm>.json")
    parser.add_argument("--compare", nargs=2, metavar=("FP32", "BF16"),
                        help="--train's part (b) from two saved summaries (arms run apart, e.g. at once)")
    parser.add_argument("--head", type=int, help="--eval on the first N items of every suite only (a smoke run)")
    args = parser.parse_args()
    if args.compare:
        from forgetlab.core.results import Summary

        a, b = (Summary.model_validate_json(open(path).read()) for path in args.compare)
        compare_train(a, b)
        return
    configure("smollm2")  # before torch loads, as every entry point of the lab does
    import torch

    from forgetlab.worker.engine.runtime import cpu_has_bf16

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU bf16 units: {cpu_has_bf16()}; {load()}")
    order = args.order.split(",")
    if args.eval:
        run_eval(args, order)
    if args.train:
        run_train(args, order)


if __name__ == "__main__":
    main()
