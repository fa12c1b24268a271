"""Two full-suite evaluations (bench/smollm2_speed.py --save-eval) compared item by item: whether a change of the
engine changed what it measures.

The rule, written before comparing: every pass/fail verdict, accuracy, refusal and rigidity share, truncated share
and generated text equal; every NLL (per item, per capability, and the split into first, content and end token)
within 1e-5 relative, or 2e-6 nats where one token's NLL is small (its float rounding is 1e-5 of it).

Run: python -m bench.compare_eval BEFORE.json AFTER.json
"""

from __future__ import annotations

import json
import math
import sys

RELATIVE, ABSOLUTE = 1e-5, 2e-6


def differences(before, after, path: str = "") -> tuple[list[str], float]:
    """Where the results differ beyond the rule, and the largest relative difference of any float."""
    if isinstance(before, dict) and isinstance(after, dict):
        if before.keys() != after.keys():
            return [f"{path}: keys differ"], 0.0
        found, worst = [], 0.0
        for key in before:
            more, rel = differences(before[key], after[key], f"{path}.{key}")
            found, worst = found + more, max(worst, rel)
        return found, worst
    if isinstance(before, list) and isinstance(after, list):
        if len(before) != len(after):
            return [f"{path}: {len(before)} != {len(after)} items"], 0.0
        found, worst = [], 0.0
        for i, (b, a) in enumerate(zip(before, after)):
            more, rel = differences(b, a, f"{path}[{i}]")
            found, worst = found + more, max(worst, rel)
        return found, worst
    if isinstance(before, float) and isinstance(after, float) and not isinstance(before, bool):
        if math.isnan(before) or math.isnan(after):
            return ([] if math.isnan(before) and math.isnan(after) else [f"{path}: {before} != {after}"]), 0.0
        rel = abs(before - after) / abs(before) if before else abs(after)
        ok = math.isclose(before, after, rel_tol=RELATIVE, abs_tol=ABSOLUTE)
        return ([] if ok else [f"{path}: {before} != {after} ({rel:.1e} relative)"]), rel
    return ([] if before == after else [f"{path}: {before!r} != {after!r}"]), 0.0


def main() -> None:
    before, after = (json.load(open(p)) for p in sys.argv[1:3])
    found, worst = differences(before, after)
    items = sum(len(v) for v in before.get("items", {}).values()) + sum(len(v) for v in before.get("task_items", {}).values())
    print(f"{items} items, {len(before.get('outputs', {}))} generated texts compared; largest relative float "
          f"difference {worst:.1e}")
    for line in found[:20]:
        print("DIFFERS", line)
    print("same by the rule" if not found else f"{len(found)} differences beyond the rule")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
