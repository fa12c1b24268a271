"""Engineers' own suites: a file with every scorer reads whole; bad lines are named with their field, and
nothing is kept; the id is the content's; each scorer judges text as documented."""

import json
from pathlib import Path

import pytest

from forgetlab.core import suites
from forgetlab.core.datasets import TooLarge
from forgetlab.core.tiers import get_tier
from forgetlab.core.tiers.smollm2 import scoring

EVERY = Path(__file__).parent / "data" / "every_scorer.jsonl"


def test_a_file_with_every_scorer_reads_whole_and_its_id_is_its_content():
    data = EVERY.read_bytes()
    suite = suites.parse_suite(data, "house-rules")
    assert {i["scorer"] for i in suite.items} == set(suites.SCORERS)
    shuffled = b"\n".join(reversed(data.strip().split(b"\n")))
    assert suites.parse_suite(shuffled, "house-rules").id == suite.id  # line order does not matter
    assert suites.parse_suite(data, "other-name").id != suite.id  # the name is the capability: part of the id
    probes = suite.probes()
    assert {p.capability for p in probes} == {"house-rules"} and all(p.kind == "capability" for p in probes)
    assert {p.group for p in probes} == {suites.GROUP}  # kept out of the tier's own measures (format rigidity)


def lines(*rows) -> bytes:
    good = EVERY.read_text().strip().split("\n")[:4]
    return "\n".join(good + [r if isinstance(r, str) else json.dumps(r) for r in rows]).encode()


@pytest.mark.parametrize("row, where", [
    ("{not json", "line 5: json"),
    ({"prompt": "p", "reference": "r"}, "line 5: scorer"),
    ({"prompt": "p", "reference": "r", "scorer": "bleu"}, "line 5: scorer"),
    ({"prompt": "", "reference": "r", "scorer": "exact"}, "line 5: prompt"),
    ({"prompt": "p", "reference": "r", "scorer": "exact", "pattern": "x"}, "line 5: pattern"),
    ({"prompt": "p", "reference": "r", "scorer": "regex"}, "line 5: pattern"),
    ({"prompt": "p", "reference": "r", "scorer": "regex", "pattern": "("}, "line 5: pattern"),
    ({"prompt": "p", "reference": "r", "scorer": "regex", "pattern": "^x$"}, "line 5: reference"),
    ({"prompt": "p", "reference": "c", "scorer": "choice", "options": ["a", "b"]}, "line 5: reference"),
    ({"prompt": "p", "reference": "a", "scorer": "choice", "options": ["a"]}, "line 5: options"),
    ({"prompt": "p", "reference": "{}", "scorer": "json_keys", "keys": ["a"]}, "line 5: reference"),
    ({"prompt": "p", "reference": "r", "scorer": "ifeval", "instructions": [{"id": "no:such"}]}, "line 5: instructions"),
    ({"prompt": "p", "reference": "one. two.", "scorer": "ifeval",
      "instructions": [{"id": "length_constraints:number_sentences",
                        "kwargs": {"num_sentences": 2, "relation": "at least"}}]}, "line 5: instructions"),
    ({"prompt": "p", "reference": "r", "scorer": "ifeval",
      "instructions": [{"id": "keywords:existence", "kwargs": {}}]}, "line 5: instructions"),
    ({"prompt": "p", "reference": "Sure, here is how.", "scorer": "refusal"}, "line 5: reference"),
    ({"prompt": "p", "reference": "r", "scorer": "refusal", "refuse": "yes"}, "line 5: refuse"),
])
def test_each_bad_line_is_named_with_its_field(row, where):
    with pytest.raises(suites.SuiteError) as e:
        suites.parse_suite(lines(row), "mine")
    assert [suites.where(err) for err in e.value.errors] == [where], e.value.errors


def test_the_whole_file_is_refused_for_one_bad_line_and_limits_hold():
    with pytest.raises(suites.SuiteError) as e:
        suites.parse_suite(lines({"prompt": "p"}, {"prompt": "q"}), "mine")
    assert e.value.total == 2  # each line: its missing scorer
    with pytest.raises(suites.SuiteError) as e:
        suites.parse_suite(EVERY.read_bytes(), "no spaces allowed")
    assert [suites.where(err) for err in e.value.errors] == ["name"]
    with pytest.raises(suites.SuiteError) as e:
        suites.parse_suite(b"\n".join(EVERY.read_bytes().split(b"\n")[:2]), "mine")
    assert "at least" in e.value.errors[0]["reason"]
    with pytest.raises(suites.SuiteError):  # the same prompt twice
        suites.parse_suite(lines(EVERY.read_text().split("\n")[0]), "mine")
    with pytest.raises(TooLarge):
        suites.parse_suite(b" " * (3 * 1024 * 1024), "mine")


def test_only_chat_tiers_measure_suites_and_names_must_not_collide():
    assert suites.accepts(get_tier("smollm2")) and not suites.accepts(get_tier("synthetic"))
    smollm2 = get_tier("smollm2")
    assert suites.names_problem(["mine", "theirs"], smollm2) is None
    assert "knowledge" in suites.names_problem(["knowledge"], smollm2)
    assert suites.names_problem(["mine", "mine"], smollm2)


@pytest.mark.parametrize("check, output, passed", [
    ({"type": "exact", "reference": "4"}, " 4.", True),
    ({"type": "exact", "reference": "4"}, "It is 4", False),
    ({"type": "contains", "reference": "Paris"}, "The capital is paris.", True),
    ({"type": "contains", "reference": "Paris"}, "Lyon", False),
    ({"type": "regex", "pattern": r"\b199\d\b"}, "In 1997.", True),
    ({"type": "regex", "pattern": r"\b199\d\b"}, "In 2001.", False),
    ({"type": "refusal", "refuse": False}, "Boil it for eight minutes.", True),
    ({"type": "refusal", "refuse": False}, "I can't help with that.", False),
    ({"type": "ifeval", "prompt": "p", "instructions": [{"id": "punctuation:no_comma", "kwargs": {}}]}, "a, b", False),
    ({"type": "ifeval", "prompt": "p", "instructions": [{"id": "punctuation:no_comma", "kwargs": {}}]}, "a b", True),
])
def test_each_scorer_judges_text(check, output, passed):
    assert scoring.check(check, output) is passed


def test_an_external_run_names_its_own_suites_beside_the_tiers():
    from forgetlab.core import external
    from forgetlab.core.errors import Invalid

    config = external.make_config(tier="smollm2", suites=["knowledge"], own_suites=["mine"], source="forgetlab.watch")
    assert config["suites"] == ["knowledge", "mine"] and config["own_suites"] == ["mine"]
    values, _ = external.check_point(config, 0, {"cap.mine.accuracy": 0.5}, {"mine": [[True, 1.0]]})
    assert values == {"cap.mine.accuracy": 0.5}
    assert "own_suites" not in external.make_config(tier="smollm2", suites=None, source="forgetlab.watch")
    for bad in (["knowledge"], ["has space"], ["a", "a"]):
        with pytest.raises(Invalid) as e:
            external.make_config(tier="smollm2", suites=None, own_suites=bad, source="forgetlab.watch")
        assert e.value.field == "own_suites"
