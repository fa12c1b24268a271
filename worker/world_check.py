"""`forgetlab world --check`: is the world off the ceiling and break-it off the floor, on every shipped base?

The criterion (docs/protocols/world-room.md): every capability's base accuracy on the full suite lies in
[0.80, 0.97] on every shipped base; with `--break-it`, break-it on every base and training seeds 0 and 1
ends with a mean drop in [0.35, 0.75]. Prints a Markdown table per part and a verdict line for each.
"""

from __future__ import annotations

BASE_BAND = (0.80, 0.97)
DROP_BAND = (0.35, 0.75)
BREAK_IT_SEEDS = (0, 1)


def _in(value: float, band: tuple[float, float]) -> bool:
    return band[0] <= value <= band[1]


def base_table(tier) -> tuple[list[str], bool]:
    """Every shipped base's accuracy per capability on the full suite; True when all lie in BASE_BAND."""
    from .engine.evaluate import EncodedSuite, evaluate
    from .engine.model import load_model

    lines, ok = [], True
    for index in range(tier.base_seeds):
        model, tokenizer = load_model(tier.for_base(index).model())
        result = evaluate(model, EncodedSuite.build(tier.probe_suite(), tokenizer))
        caps = {name: v["accuracy"] for name, v in result["capabilities"].items()}
        if not lines:
            lines += ["| base | " + " | ".join(caps) + " | in band |", "|---" * (len(caps) + 2) + "|"]
        inside = all(_in(v, BASE_BAND) for v in caps.values())
        ok &= inside
        lines.append(f"| {index} | " + " | ".join(f"{v:.3f}" for v in caps.values()) + f" | {'yes' if inside else 'no'} |")
    lines.append(f"\nEvery capability in [{BASE_BAND[0]:.2f}, {BASE_BAND[1]:.2f}] on every base: {'yes' if ok else 'NO'}")
    return lines, ok


def _break_it(job: tuple[int, int, dict]) -> tuple[float, float, float]:
    """(task, mean drop, worst drop) of break-it (with `overrides`) on one base and seed, on one torch thread."""
    import torch

    from forgetlab.core.presets import preset_scenario
    from forgetlab.core.scenario import with_overrides

    from .engine.train import train

    torch.set_num_threads(1)
    base_seed, seed, overrides = job
    s = train(with_overrides(preset_scenario("break-it"), {**overrides, "base_seed": base_seed, "seed": seed}),
              lambda e: None)
    return s.task_accuracy.final, sum(s.forgetting.values()) / len(s.forgetting), max(s.forgetting.values())


def break_it_table(tier, overrides: dict | None = None, workers: int = 2) -> tuple[list[str], bool]:
    """Break-it's mean drop on every base and training seed; True when all lie in DROP_BAND. `overrides`:
    break-it's settings changed (the world search tries other rates); two runs at a time."""
    from concurrent.futures import ProcessPoolExecutor

    lines, ok = ["| base | seed | task | mean drop | worst drop | in band |", "|---|---|---|---|---|---|"], True
    units = [(index, seed) for index in range(tier.base_seeds) for seed in BREAK_IT_SEEDS]
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(_break_it, [(b, s, overrides or {}) for b, s in units]))
    for (index, seed), (task, mean, worst) in zip(units, results):
        inside = _in(mean, DROP_BAND)
        ok &= inside
        lines.append(f"| {index} | {seed} | {task:.3f} | {mean:.3f} | {worst:.3f} | {'yes' if inside else 'no'} |")
    lines.append(f"\nBreak-it's mean drop in [{DROP_BAND[0]:.2f}, {DROP_BAND[1]:.2f}] on every unit: {'yes' if ok else 'NO'}")
    return lines, ok


def check(break_it: bool) -> bool:
    from forgetlab.core.tiers import get_tier

    tier = get_tier("synthetic")
    lines, ok = base_table(tier)
    print("\n".join(lines), flush=True)
    if break_it:
        lines, drop_ok = break_it_table(tier)
        print("\n" + "\n".join(lines))
        ok &= drop_ok
    return ok
