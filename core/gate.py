"""The capability regression gate's statistics: paired bootstrap intervals and the verdict.

A fine-tuned candidate is compared with its base on the same probes, item by item. Each item gives
(passed, reference NLL) for both models, so the natural comparison is *paired*: the delta of
each capability is the mean of per-item differences, and its uncertainty comes from resampling
items (the same resampled items for base and candidate, which keeps the pairing). Pairing
matters: two models that agree on most probes have a far narrower interval than two independent
accuracy estimates would suggest.

The verdict is deliberately simple and documented: a capability "fails" when its accuracy drop
(base minus candidate) exceeds `max_drop`; the 90% interval is reported beside it so a reader can
tell a clear regression from a drop within noise. NLL moves long before accuracy does and is the
early warning; it is judged only when asked (`max_nll_rise`): then a capability also fails when its
mean reference NLL rose by more than that many nats per token. That catches what accuracy cannot
see, e.g. a safety suite whose base refused nothing to begin with, so its accuracy has nowhere to
fall, while the candidate grew far less likely to give the reference answers.

`table` and `junit` write a result as `forgetlab gate` prints it and as a CI server reads it (one
JUnit test case per capability, a failure naming each broken rule).

Pure and torch-free (stdlib only): the engine computes items (worker/engine/gate.py), and the web
or anyone else holding items from a stored report can recompute the same numbers.
"""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import NamedTuple

RESAMPLES = 2000
LEVEL = 0.90
SEED = 0
MAX_DROP = 0.05
# Drops are ratios of counts (k/n); without a little slack a drop of exactly max_drop would pass or
# fail depending on how the two floats round.
EPSILON = 1e-9


class Item(NamedTuple):
    """One probe's outcome for one model: did it pass (exact match or the tier's judge), and the mean
    per-token NLL of the reference answer."""

    passed: bool
    nll: float


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile of already sorted values (numpy's default method)."""
    if not sorted_values:
        raise ValueError("quantile of no values")
    position = q * (len(sorted_values) - 1)
    lower = int(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)


def paired_bootstrap(deltas: Mapping[str, Sequence[float]], *, resamples: int = RESAMPLES, level: float = LEVEL,
                     rng: random.Random) -> dict[str, tuple[float, float]]:
    """Percentile intervals of the mean of each series of per-item deltas, all resampled with the same
    item indices (so accuracy and NLL intervals describe the same resampled populations)."""
    series = list(deltas.values())
    n = len(series[0])
    if n == 0 or any(len(s) != n for s in series):
        raise ValueError("paired deltas need the same, non-zero number of items")
    means: list[list[float]] = [[] for _ in series]
    for _ in range(resamples):
        index = [int(rng.random() * n) for _ in range(n)]
        for values, out in zip(series, means):
            out.append(sum(values[i] for i in index) / n)
    tail = (1.0 - level) / 2.0
    intervals = {}
    for name, values in zip(deltas, means):
        values.sort()
        intervals[name] = (quantile(values, tail), quantile(values, 1.0 - tail))
    return intervals


def compare_capability(name: str, base: Sequence[Item], candidate: Sequence[Item], *, max_drop: float = MAX_DROP,
                       max_nll_rise: float | None = None, resamples: int = RESAMPLES, level: float = LEVEL,
                       seed: int = SEED) -> dict:
    """One capability: both models' accuracy and mean NLL, the deltas (candidate minus base) with paired
    bootstrap intervals, the verdict with the rules it broke (`reasons`), and which items regressed (base
    passed, candidate failed) or were fixed. Each capability draws from its own generator, seeded by
    (seed, name): its interval is the same whether it is gated alone (--suite) or with the others."""
    base, candidate = [Item(*i) for i in base], [Item(*i) for i in candidate]
    if len(base) != len(candidate) or not base:
        raise ValueError(f"{name}: base and candidate need the same, non-zero number of items "
                         f"({len(base)} and {len(candidate)})")
    n = len(base)
    acc = [float(c.passed) - float(b.passed) for b, c in zip(base, candidate)]
    nll = [c.nll - b.nll for b, c in zip(base, candidate)]
    rng = random.Random(f"{seed}:{name}")  # str seeds hash with sha512: stable across processes
    intervals = paired_bootstrap({"accuracy": acc, "nll": nll}, resamples=resamples, level=level, rng=rng)
    base_acc = sum(b.passed for b in base) / n
    cand_acc = sum(c.passed for c in candidate) / n
    drop = base_acc - cand_acc
    nll_rise = sum(nll) / n
    reasons = []
    if drop > max_drop + EPSILON:
        reasons.append(f"drop {drop:.3f} > {max_drop:.3f}")
    if max_nll_rise is not None and nll_rise > max_nll_rise + EPSILON:
        reasons.append(f"NLL rise {nll_rise:+.3f} > {max_nll_rise:.3f}")
    lo, hi = intervals["accuracy"]
    return {
        "items": n,
        "base": {"accuracy": base_acc, "nll": sum(b.nll for b in base) / n},
        "candidate": {"accuracy": cand_acc, "nll": sum(c.nll for c in candidate) / n},
        "delta": {"accuracy": cand_acc - base_acc, "accuracy_interval": [lo, hi],
                  "nll": nll_rise, "nll_interval": list(intervals["nll"])},
        "drop": drop,
        "verdict": "fails" if reasons else "passes",
        "reasons": reasons,  # the rules it broke: "drop 0.203 > 0.050", "NLL rise +3.280 > 1.000"
        # The interval excludes 0: the accuracy change is unlikely to be resampling noise.
        "significant": hi < 0 or lo > 0,
        "regressed": [i for i, (b, c) in enumerate(zip(base, candidate)) if b.passed and not c.passed],
        "fixed": [i for i, (b, c) in enumerate(zip(base, candidate)) if c.passed and not b.passed],
    }


def compare(base: Mapping[str, Sequence[Item]], candidate: Mapping[str, Sequence[Item]], *,
            max_drop: float = MAX_DROP, max_nll_rise: float | None = None, resamples: int = RESAMPLES,
            level: float = LEVEL, seed: int = SEED) -> dict:
    """Every capability of `base` (in its order) compared; `passed` is False when any capability fails.
    `max_nll_rise` (nats per token, None: NLL is not judged) adds the NLL rule to the accuracy rule."""
    if not 0.0 <= max_drop <= 1.0:
        raise ValueError(f"max_drop must be in 0..1, got {max_drop}")
    if max_nll_rise is not None and not max_nll_rise >= 0.0:  # `not >=`: NaN is refused too
        raise ValueError(f"max_nll_rise must be 0 or more nats, got {max_nll_rise}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    missing = [name for name in base if name not in candidate]
    if missing:
        raise ValueError(f"the candidate has no items for {', '.join(missing)}")
    capabilities = {name: compare_capability(name, base[name], candidate[name], max_drop=max_drop,
                                             max_nll_rise=max_nll_rise, resamples=resamples, level=level, seed=seed)
                    for name in base}
    failed = [name for name, c in capabilities.items() if c["verdict"] == "fails"]
    return {"passed": not failed, "failed": failed, "max_drop": max_drop, "max_nll_rise": max_nll_rise,
            "level": level, "resamples": resamples, "seed": seed, "capabilities": capabilities}


def table(result: Mapping) -> list[str]:
    """The comparison as the lines `forgetlab gate` prints: accuracy and NLL of both models, the delta
    with its interval, and the verdict."""
    pct = round(100 * result["level"])
    head = (f"{'capability':<14}{'n':>4}  {'acc base':>8}{'cand':>7}  {'delta [' + str(pct) + '% interval]':<24}"
            f"{'nll base':>9}{'cand':>8}  {'delta [interval]':<25}verdict")
    lines = [head]
    for name, c in result["capabilities"].items():
        d = c["delta"]
        acc_lo, acc_hi = d["accuracy_interval"]
        nll_lo, nll_hi = d["nll_interval"]
        verdict = c["verdict"].upper() if c["verdict"] == "fails" else c["verdict"]
        if c["verdict"] == "fails":
            verdict += f" ({'; '.join(c['reasons'])})"
        lines.append(f"{name:<14}{c['items']:>4}  {c['base']['accuracy']:>8.3f}{c['candidate']['accuracy']:>7.3f}  "
                     f"{_signed(d['accuracy'], acc_lo, acc_hi, 3):<24}"
                     f"{c['base']['nll']:>9.3f}{c['candidate']['nll']:>8.3f}  "
                     f"{_signed(d['nll'], nll_lo, nll_hi, 3):<25}{verdict}")
    return lines


def _signed(value: float, lo: float, hi: float, digits: int) -> str:
    value, lo, hi = (round(v, digits) + 0.0 for v in (value, lo, hi))  # + 0.0: no "-0.000"
    return f"{value:+.{digits}f} [{lo:+.{digits}f}, {hi:+.{digits}f}]"


def junit(result: Mapping, *, name: str = "forgetlab gate", seconds: float | None = None) -> str:
    """The comparison as a JUnit XML report, which CI servers (GitHub Actions, GitLab, Jenkins) show as tests:
    one test case per capability, a failing capability a <failure> naming the rules it broke, with its
    numbers and the first probes it lost in the failure's text. The thresholds are the suite's properties."""
    cases = result["capabilities"]
    failures = [c for c in cases.values() if c["verdict"] == "fails"]
    timing = {"time": f"{seconds:.3f}"} if seconds is not None else {}
    root = ET.Element("testsuites", name=name, tests=str(len(cases)), failures=str(len(failures)), errors="0",
                      **timing)
    suite = ET.SubElement(root, "testsuite", name=name, tests=str(len(cases)), failures=str(len(failures)),
                          errors="0", skipped="0", **timing)
    properties = ET.SubElement(suite, "properties")
    for key in ("max_drop", "max_nll_rise", "level", "resamples", "seed"):
        if result.get(key) is not None:
            ET.SubElement(properties, "property", name=key, value=str(result[key]))
    for capability, c in cases.items():
        case = ET.SubElement(suite, "testcase", classname=name.replace(" ", "."), name=capability)
        d = c["delta"]
        numbers = (f"{capability}: accuracy {c['base']['accuracy']:.3f} -> {c['candidate']['accuracy']:.3f} "
                   f"(change {_signed(d['accuracy'], *d['accuracy_interval'], 3)}), answer NLL "
                   f"{c['base']['nll']:.3f} -> {c['candidate']['nll']:.3f} (change "
                   f"{_signed(d['nll'], *d['nll_interval'], 3)}), {c['items']} probes")
        if c["verdict"] == "fails":
            lost = [f"lost: {i['prompt']!r} expected {i['expected']!r}, got {i['output']!r}"
                    for i in c["regressed"][:3] if isinstance(i, Mapping)]  # the engine's items name their probe
            failure = ET.SubElement(case, "failure", message=f"{capability} fails: {'; '.join(c['reasons'])}",
                                    type="capability regression")
            failure.text = "\n".join([numbers, *lost])
        else:
            ET.SubElement(case, "system-out").text = numbers
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
