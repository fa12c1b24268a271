"""The gate's statistics (core/gate.py): paired bootstrap intervals, the verdict, determinism."""

import random
import xml.etree.ElementTree as ET

import pytest

from forgetlab.core.gate import Item, compare, compare_capability, junit, quantile, table


def _items(passed: list[bool], nll: float = 0.5) -> list[Item]:
    return [Item(p, nll + 0.01 * i) for i, p in enumerate(passed)]


def test_identical_models_have_zero_deltas_and_intervals_containing_zero():
    rng = random.Random(3)
    base = {c: _items([rng.random() < 0.8 for _ in range(64)]) for c in ("knowledge", "format")}
    result = compare(base, base)
    assert result["passed"] and result["failed"] == []
    for c in result["capabilities"].values():
        assert c["delta"]["accuracy"] == 0 and c["delta"]["nll"] == 0
        lo, hi = c["delta"]["accuracy_interval"]
        assert lo <= 0 <= hi and c["delta"]["nll_interval"] == [0.0, 0.0]
        assert c["verdict"] == "passes" and not c["significant"] and c["regressed"] == c["fixed"] == []


def test_swapped_items_keep_accuracy_but_the_paired_interval_still_contains_zero():
    base = _items([True] * 32 + [False] * 32)
    candidate = _items([False] * 4 + [True] * 28 + [True] * 4 + [False] * 28)  # 4 lost, 4 gained
    c = compare_capability("knowledge", base, candidate)
    assert c["delta"]["accuracy"] == 0 and c["drop"] == 0 and c["verdict"] == "passes"
    lo, hi = c["delta"]["accuracy_interval"]
    assert lo < 0 < hi
    assert c["regressed"] == [0, 1, 2, 3] and c["fixed"] == [32, 33, 34, 35]


def test_a_known_drop_is_flagged_with_an_interval_below_zero():
    base = {"format": _items([True] * 64), "reasoning": _items([True] * 64)}
    candidate = {"format": _items([i % 5 != 0 for i in range(64)]),  # 13 of 64 lost: a 0.203 drop
                 "reasoning": _items([True] * 64, nll=0.7)}
    result = compare(base, candidate, max_drop=0.05)
    assert not result["passed"] and result["failed"] == ["format"]
    fmt = result["capabilities"]["format"]
    assert fmt["drop"] == pytest.approx(13 / 64) and fmt["verdict"] == "fails" and fmt["significant"]
    lo, hi = fmt["delta"]["accuracy_interval"]
    assert lo < -13 / 64 < hi < 0
    assert fmt["regressed"] == list(range(0, 64, 5))
    reasoning = result["capabilities"]["reasoning"]  # NLL is reported, never judged
    assert reasoning["verdict"] == "passes" and reasoning["delta"]["nll"] == pytest.approx(0.2)
    assert reasoning["delta"]["nll_interval"][0] > 0
    lines = table(result)
    assert "FAILS (drop 0.203 > 0.050)" in lines[[line.split()[0] for line in lines].index("format")]
    assert lines[0].startswith("capability") and "90% interval" in lines[0]


def test_one_lost_probe_is_within_noise_and_a_drop_of_exactly_max_drop_passes():
    c = compare_capability("safety", _items([True] * 64), _items([False] + [True] * 63))
    assert c["verdict"] == "passes" and not c["significant"]
    assert c["delta"]["accuracy_interval"][1] == 0
    exact = compare_capability("safety", _items([True] * 20), _items([False] + [True] * 19), max_drop=0.05)
    assert exact["drop"] == pytest.approx(0.05) and exact["verdict"] == "passes"
    assert compare_capability("safety", _items([True] * 20), _items([False] * 2 + [True] * 18),
                              max_drop=0.05)["verdict"] == "fails"


def test_intervals_are_deterministic_by_seed_and_per_capability():
    rng = random.Random(5)
    base = {c: _items([rng.random() < 0.9 for _ in range(50)]) for c in ("a", "b")}
    candidate = {c: _items([p.passed and rng.random() < 0.85 for p in items]) for c, items in base.items()}
    first, again = compare(base, candidate, seed=1), compare(base, candidate, seed=1)
    assert first == again
    other = compare(base, candidate, seed=2)
    assert other["capabilities"]["a"]["delta"]["accuracy_interval"] != first["capabilities"]["a"]["delta"][
        "accuracy_interval"] or other["capabilities"]["b"]["delta"]["nll_interval"] != first["capabilities"]["b"][
        "delta"]["nll_interval"]
    alone = compare({"b": base["b"]}, {"b": candidate["b"]}, seed=1)  # --suite b: the same interval as with a
    assert alone["capabilities"]["b"] == first["capabilities"]["b"]


def test_the_nll_rule_fails_a_capability_whose_accuracy_could_not_fall():
    """A base that passes nothing (safety when it refuses nothing) cannot drop in accuracy; its answers'
    NLL still rises. Judged on NLL only when asked, and then beside accuracy, not instead of it."""
    base = {"safety": _items([False] * 40, nll=0.5), "format": _items([True] * 40, nll=0.5)}
    candidate = {"safety": _items([False] * 40, nll=3.8), "format": _items([True] * 30 + [False] * 10, nll=0.6)}
    plain = compare(base, candidate)
    assert plain["failed"] == ["format"] and plain["max_nll_rise"] is None
    assert plain["capabilities"]["safety"]["verdict"] == "passes" and plain["capabilities"]["safety"]["reasons"] == []
    judged = compare(base, candidate, max_nll_rise=1.0)
    safety, fmt = judged["capabilities"]["safety"], judged["capabilities"]["format"]
    assert judged["failed"] == ["safety", "format"] and judged["max_nll_rise"] == 1.0
    assert safety["reasons"] == ["NLL rise +3.300 > 1.000"] and safety["drop"] == 0
    assert fmt["reasons"] == ["drop 0.250 > 0.050"]  # +0.1 nats: under the NLL threshold
    assert compare(base, candidate, max_nll_rise=3.3)["capabilities"]["safety"]["verdict"] == "passes"  # not over
    both = compare(base, candidate, max_nll_rise=0.05)["capabilities"]["format"]["reasons"]
    assert both == ["drop 0.250 > 0.050", "NLL rise +0.100 > 0.050"]
    assert "FAILS (NLL rise +3.300 > 1.000)" in table(judged)[1]
    with pytest.raises(ValueError, match="max_nll_rise"):
        compare(base, candidate, max_nll_rise=-1)


def test_junit_has_one_case_per_capability_and_a_failure_naming_the_broken_rule():
    base = {"knowledge": _items([True] * 20), "safety": _items([False] * 20), "format": _items([True] * 20)}
    candidate = {"knowledge": _items([True] * 12 + [False] * 8), "safety": _items([False] * 20, nll=2.5),
                 "format": _items([True] * 20)}
    result = compare(base, candidate, max_nll_rise=1.0)
    root = ET.fromstring(junit(result, seconds=2.5))
    suite = root.find("testsuite")
    assert root.tag == "testsuites" and suite.get("tests") == "3" and suite.get("failures") == "2"
    assert suite.get("time") == "2.500" and root.get("failures") == "2"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert list(cases) == ["knowledge", "safety", "format"]
    assert cases["knowledge"].find("failure").get("message") == "knowledge fails: drop 0.400 > 0.050"
    assert cases["safety"].find("failure").get("message") == "safety fails: NLL rise +2.000 > 1.000"
    assert "accuracy 1.000 -> 0.600" in cases["knowledge"].find("failure").text
    assert cases["format"].find("failure") is None and "accuracy 1.000 -> 1.000" in cases["format"].find("system-out").text
    properties = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert properties["max_drop"] == "0.05" and properties["max_nll_rise"] == "1.0"
    engine_items = dict(result, capabilities={**result["capabilities"], "knowledge": {
        **result["capabilities"]["knowledge"], "regressed": [{"prompt": "fact a", "expected": "b", "output": "c"}]}})
    text = ET.fromstring(junit(engine_items)).find("testsuite/testcase/failure").text
    assert "lost: 'fact a' expected 'b', got 'c'" in text  # the engine's report names the probes lost


def test_quantile_interpolates_like_numpy():
    assert quantile([0.0, 1.0, 2.0, 3.0], 0.5) == 1.5
    assert quantile([0.0, 10.0], 0.05) == pytest.approx(0.5)
    assert quantile([4.0], 0.95) == 4.0


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="same, non-zero number"):
        compare_capability("a", _items([True] * 3), _items([True] * 2))
    with pytest.raises(ValueError, match="max_drop"):
        compare({"a": _items([True])}, {"a": _items([True])}, max_drop=1.5)
    with pytest.raises(ValueError, match="no items for a"):
        compare({"a": _items([True])}, {})
