"""core/holdout.py: which probes are private, the figures per part, and what graders read."""

import pytest

from forgetlab.core.holdout import Holdout, check_percent, judged, parts, private_flags, public_items

SPLIT = Holdout(share=0.5, salt="s1")
PROMPTS = [f"question {i}" for i in range(20)]


def test_the_split_is_deterministic_sized_and_salted():
    flags = private_flags(SPLIT, "knowledge", PROMPTS)
    assert flags == private_flags(SPLIT, "knowledge", PROMPTS) and sum(flags) == 10
    assert sum(private_flags(Holdout(0.25, "s1"), "knowledge", PROMPTS)) == 5
    assert flags != private_flags(Holdout(0.5, "s2"), "knowledge", PROMPTS)  # another assignment, another split
    assert flags != private_flags(SPLIT, "reasoning", PROMPTS)  # each capability split on its own
    # a smaller share keeps a subset of a larger one's private probes (the same ranking)
    small = private_flags(Holdout(0.25, "s1"), "knowledge", PROMPTS)
    assert all(f for f, s in zip(flags, small) if s)
    # each part keeps a probe whatever the share
    assert sum(private_flags(Holdout(0.01, "s1"), "knowledge", PROMPTS[:3])) == 1
    assert sum(private_flags(Holdout(0.99, "s1"), "knowledge", PROMPTS[:3])) == 2


def test_parts_aggregate_the_per_probe_results():
    flags = private_flags(SPLIT, "knowledge", PROMPTS)
    items = [[not f, float(i)] for i, f in enumerate(flags)]  # every public probe passed, every private one failed
    result = {"capabilities": {"knowledge": {"accuracy": 0.5, "nll": 9.5}}, "items": {"knowledge": items},
              "tasks": {"t": {"accuracy": 0.25, "nll": 1.0}}}  # no task items: the whole figure in both parts
    out = parts(result, {"knowledge": PROMPTS, "t": PROMPTS[:4]}, SPLIT)
    assert out["public"]["capabilities"]["knowledge"]["accuracy"] == 1.0
    assert out["private"]["capabilities"]["knowledge"]["accuracy"] == 0.0
    assert out["private"]["capabilities"]["knowledge"]["nll"] == sum(i for i, f in enumerate(flags) if f) / 10
    assert out["public"]["tasks"]["t"] == out["private"]["tasks"]["t"] == {"accuracy": 0.25, "nll": 1.0}
    # a point measuring the suite's head keeps each probe in its part
    head = parts({**result, "items": {"knowledge": items[:6]}}, {"knowledge": PROMPTS, "t": PROMPTS[:4]}, SPLIT)
    assert head["public"]["capabilities"]["knowledge"]["accuracy"] == (0.5 if all(flags[:6]) else 1.0)
    assert head["private"]["capabilities"]["knowledge"]["accuracy"] == (0.0 if any(flags[:6]) else 0.5)
    assert [x for x, f in zip(items, flags) if not f] == public_items({"knowledge": items}, {"knowledge": PROMPTS},
                                                                      SPLIT)["knowledge"]


def test_graders_read_the_private_part():
    summary = {"final": {"knowledge": 0.9}, "task_accuracy": {"baseline": 0, "final": 1.0}, "steps": 10}
    private = {"final": {"knowledge": 0.4}, "task_accuracy": {"baseline": 0, "final": 0.3}}
    assert judged(summary, private) == {"final": {"knowledge": 0.4}, "task_accuracy": {"baseline": 0, "final": 0.3},
                                        "steps": 10}
    assert judged(summary, None) is summary


@pytest.mark.parametrize("text, share", [("", None), (None, None), ("0", None), (0, None), ("50", 0.5),
                                          ("25%", 0.25), (99, 0.99)])
def test_a_percent_reads(text, share):
    assert check_percent(text) == share


@pytest.mark.parametrize("text", ["half", "0.5", "100", "-5", "nan"])
def test_a_bad_percent_says_why(text):
    with pytest.raises(ValueError, match="1 to 99"):
        check_percent(text)
