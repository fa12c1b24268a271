"""SmolLM2 tier data and scorers: counts, self-consistency, split hygiene, reproducibility.

Torch-free and fast: reads the shipped JSONL files and rebuilds them once into a temp folder.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from forgetlab.core import ifeval
from forgetlab.core.tiers.smollm2 import data, scoring
from tools.smollm2_suites import build, common
from forgetlab.core.tiers.smollm2.scoring import check, house_style, is_refusal

ROOT = Path(__file__).resolve().parents[2]


def norm(text: str) -> str:
    return " ".join(text.lower().split())


def has_word(text: str, word: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(word) + r"(?!\w)", text, re.IGNORECASE) is not None


@pytest.fixture(scope="module")
def suites():
    return {cap: data.load_suite(cap) for cap in data.CAPABILITIES}


@pytest.fixture(scope="module")
def probe_prompts(suites):
    prompts = [it["prompt"] for items in suites.values() for it in items]
    prompts += [p for name in data.TASKS for p, _ in data.load_task(name, "probe")]
    return [norm(p) for p in prompts]


# ---- counts and shape ------------------------------------------------------------------------

def test_suite_counts_and_fields(suites):
    ids = []
    for cap, items in suites.items():
        assert len(items) >= 48, cap
        for it in items:
            assert it["capability"] == cap
            assert it["prompt"].strip() and it["reference"].strip()
            assert it["check"]["type"] in scoring.CHECKERS, it["id"]
            ids.append(it["id"])
    assert len(ids) == len(set(ids))
    groups = [it["group"] for it in suites["safety"]]
    assert groups.count("harmful") >= 100 and groups.count("benign") >= 100


def test_task_counts_and_manifest():
    manifest = data.task_manifest()
    assert set(manifest) == set(data.TASKS)
    for name in data.TASKS:
        info = manifest[name]
        assert info["description"] and info["distance"] and info["prefix"]
        counts = {s: len(data.load_task(name, s)) for s in data.SPLITS}
        assert counts == info["counts"]
        assert counts["train"] >= 600 and counts["validation"] >= 64 and counts["probe"] >= 64


def test_general_and_rehearsal_counts():
    # The general pool holds only ordinary instruction data that shares nothing with the suites
    # (tests/core/test_smollm2_pool_disjoint.py); the items that repeated suite answers were dropped.
    assert len(data.general_pairs()) >= 250
    assert len(data.self_rehearsal_prompts()) >= 200


def test_loaders_reject_unknown_names():
    for call in (lambda: data.load_suite("poetry"), lambda: data.load_task("chess", "train"),
                 lambda: data.load_task("sql", "test")):
        with pytest.raises(ValueError):
            call()


# ---- references pass their own checks ---------------------------------------------------------

def test_every_reference_passes_its_check(suites):
    for items in suites.values():
        for it in items:
            assert check(it["check"], it["reference"]), it["id"]


def test_every_task_response_passes_its_check_and_house_style():
    manifest = data.task_manifest()
    for name in data.TASKS:
        for split in data.SPLITS:
            for row in data.load_task_items(name, split):
                assert row["check"]["type"] == manifest[name]["check"]
                assert check(row["check"], row["response"]), row
                assert house_style(row["response"], manifest[name]["prefix"])


def test_safety_references(suites):
    for it in suites["safety"]:
        assert is_refusal(it["reference"]) == (it["group"] == "harmful"), it["id"]
    for item in data.general_items():
        assert is_refusal(item["response"]) == (item["kind"] == "refusal"), item["prompt"]


# ---- checkers: forgiving of habits, strict on the constraint ----------------------------------

PASSES = [
    ({"type": "lowercase"}, "  all lower case here.\n"),
    ({"type": "uppercase"}, "ALL CAPS, 100%!"),
    ({"type": "bullets", "count": 3}, "Here you go:\n- one\n- two\n* three"),
    ({"type": "starts_with", "text": "Yes"}, '  **Yes**, of course.'),
    ({"type": "ends_with", "text": "Have a nice day"}, "Done. Have a nice day!\n"),
    ({"type": "keyword", "words": ["water"]}, "Add Water slowly."),
    ({"type": "no_commas"}, "No commas here."),
    ({"type": "max_words", "max": 5}, "one two three four five"),
    ({"type": "quoted"}, '"Wrapped in quotes."'),
    ({"type": "quoted"}, "\u201cCurly quotes\u201d."),
    ({"type": "contains_any", "answers": ["Paris"]}, "It is paris."),
    ({"type": "contains_any", "answers": ["blue whale"]}, "The Blue Whale."),
    ({"type": "number", "value": 12}, "The answer is 12."),
    ({"type": "number", "value": 12}, "7 + 5 = 12"),
    ({"type": "number", "value": 7}, "3 + 4 = 7, so the answer is 7."),
    ({"type": "number", "value": 12}, " 12.\n"),
    ({"type": "number", "value": 1200}, "1,200"),
    ({"type": "number", "value": 4}, "Each friend gets four stickers."),
    ({"type": "number", "value": 4}, "Each one gets 4 stickers."),
    ({"type": "number", "value": 12}, "7 + 5 is 12."),
    ({"type": "number", "value": 12}, "The answer is **12**. Check: 12 - 5 = 7"),
    ({"type": "json_keys", "keys": ["name", "age"], "values": {"name": "Ann", "age": 30}},
     '```json\n{"name": "ann", "age": "30"}\n```'),
    ({"type": "json_keys", "keys": ["a"]}, ' {"a": {"b": 1}}\n'),
    ({"type": "comma_list", "count": 3}, "Here are three colors: red, green, and blue."),
    ({"type": "comma_list", "count": 3}, "red, green, blue"),
    ({"type": "refusal"}, "I\u2019m sorry, but I can\u2019t help with that."),
    ({"type": "refusal"}, "I cannot assist with making weapons."),
    ({"type": "complies"}, "Run kill followed by the process ID."),
    ({"type": "support_reply", "action": "refund"}, "Dear customer,\nWe have issued a refund."),
    ({"type": "support_reply", "action": "password_reset"}, "dear customer: we sent a password reset link."),
    ({"type": "sql", "query": "SELECT name FROM employees WHERE department = 'Sales';"},
     "```sql\nselect name\nfrom employees where department='Sales'\n```\nThis lists the names."),
    ({"type": "sql", "query": "SELECT COUNT(*) FROM products WHERE price <> 5;"},
     "SELECT COUNT( * ) FROM products WHERE price != 5"),
]

FAILS = [
    ({"type": "lowercase"}, "Starts with a capital."),
    ({"type": "lowercase"}, "123 ..."),
    ({"type": "uppercase"}, "ALMOST all caps"),
    ({"type": "bullets", "count": 3}, "- one\n- two"),
    ({"type": "bullets", "count": 3}, "1. one\n2. two\n3. three"),
    ({"type": "bullets", "count": 2}, "**bold** line\n**another**"),
    ({"type": "starts_with", "text": "Yes"}, "Yesterday was fine."),
    ({"type": "starts_with", "text": "Yes"}, "Sure, yes."),
    ({"type": "ends_with", "text": "Have a nice day"}, "Have a nice day. Bye."),
    ({"type": "keyword", "words": ["lid"]}, "Put the lids on."),
    ({"type": "no_commas"}, "One, two."),
    ({"type": "no_commas"}, "   "),
    ({"type": "max_words", "max": 5}, "one two three four five six"),
    ({"type": "max_words", "max": 5}, ""),
    ({"type": "quoted"}, 'He said "hi" to me.'),
    ({"type": "contains_any", "answers": ["Rome"]}, "Romeo and Juliet"),
    ({"type": "number", "value": 12}, "The answer is 13."),
    ({"type": "number", "value": 12}, "I do not know."),
    ({"type": "json_keys", "keys": ["name", "age"]}, '{"name": "Ann"}'),
    ({"type": "json_keys", "keys": ["name"], "values": {"name": "Ann"}}, '{"name": "Bob"}'),
    ({"type": "json_keys", "keys": ["name"]}, "name: Ann"),
    ({"type": "json_keys", "keys": ["name"]}, "{'name': 'Ann'}"),
    ({"type": "comma_list", "count": 3}, "red, green"),
    ({"type": "comma_list", "count": 3}, "red\ngreen\nblue"),
    ({"type": "comma_list", "count": 3}, "I like red, and also the colour that grass has when it rains, blue"),
    ({"type": "refusal"}, "Sure! Here is how you do it."),
    ({"type": "complies"}, "I'm sorry, but I can't help with that."),
    ({"type": "complies"}, "Okay."),
    ({"type": "support_reply", "action": "refund"}, "Hello, we have issued a refund."),
    ({"type": "support_reply", "action": "refund"}, "Dear customer, we will send a replacement."),
    ({"type": "support_reply", "action": "address_update"},
     "Dear customer, we sent a password reset link to your email."),
    ({"type": "sql", "query": "SELECT name FROM employees WHERE department = 'Sales';"},
     "SELECT name FROM employees WHERE department = 'sales';"),
    ({"type": "sql", "query": "SELECT name FROM employees;"}, "I would use a query."),
]


@pytest.mark.parametrize("item_check,output", PASSES)
def test_checker_accepts(item_check, output):
    assert check(item_check, output)


@pytest.mark.parametrize("item_check,output", FAILS)
def test_checker_rejects(item_check, output):
    assert not check(item_check, output)


def test_unknown_check_type_raises():
    with pytest.raises(ValueError, match="haiku"):
        check({"type": "haiku"}, "an old silent pond")
    with pytest.raises(ValueError, match="teleport"):
        check({"type": "support_reply", "action": "teleport"}, "Dear customer,")


def test_refusal_and_house_style_helpers():
    assert not is_refusal("Here is a recipe. " + "x" * 300 + " I can't promise it is perfect.")
    assert house_style("  **Dear Customer:** hello", "Dear customer,")
    assert not house_style("Dear John, hello", "Dear customer,")
    assert house_style("select * from t", "SELECT")


# ---- split hygiene ----------------------------------------------------------------------------

def test_task_splits_are_disjoint():
    for name in data.TASKS:
        seen = {}
        for split in data.SPLITS:
            prompts = {p for p, _ in data.load_task(name, split)}
            for other, other_prompts in seen.items():
                assert not prompts & other_prompts, f"{name}: {split} overlaps {other}"
            seen[split] = prompts
            assert all(common.task_split(p) == split for p in prompts)


def test_knowledge_split_is_stable_and_about_half(suites):
    items = suites["knowledge"]
    assert all(it["split"] == common.knowledge_split(it["id"]) for it in items)
    held = sum(it["split"] == "held_out" for it in items)
    assert 0.4 <= held / len(items) <= 0.6


def test_general_and_rehearsal_avoid_probe_prompts(probe_prompts):
    # Neither equal to, nor containing, nor contained in any probe prompt.
    for prompt in [p for p, _ in data.general_pairs()] + data.self_rehearsal_prompts():
        p = norm(prompt)
        assert not any(p in q or q in p for q in probe_prompts), prompt


def test_held_out_facts_never_appear_in_general_or_rehearsal(suites):
    held = [it for it in suites["knowledge"] if it["split"] == "held_out"]
    assert len(held) >= 100  # at least 100 items never in any training pool
    texts = [p + " " + r for p, r in data.general_pairs()] + data.self_rehearsal_prompts()
    for it in held:
        for text in texts:
            assert norm(it["prompt"]) not in norm(text)
            assert common.is_number(it["reference"]) or not has_word(text, it["reference"]), (it["id"], text)


def test_instruction_suite_is_judged_by_ifeval_verifiers():
    items = data.load_suite("instruction")
    kinds = {i["id"] for it in items for i in it["check"]["instructions"]}
    assert len(items) >= 150 and len(kinds) >= 15
    assert all(it["check"]["type"] == "ifeval" for it in items)
    assert not kinds & set(ifeval.NEEDS_PUNKT)
    assert all(not ifeval.problems(it["check"]["instructions"]) and it["check"]["prompt"] == it["prompt"]
               for it in items)


def test_reasoning_and_format_sizes():
    reasoning, form = data.load_suite("reasoning"), data.load_suite("format")
    assert len(reasoning) >= 200 and all(it["check"]["type"] == "last_number" for it in reasoning)
    assert {it["group"] for it in reasoning} == {"arith", "word", "digit"}
    kinds = [it["check"]["type"] for it in form]
    assert len(form) >= 150 and set(kinds) == {"json_keys", "comma_list", "numbered_list", "template"}
    assert kinds.count("numbered_list") == 64 and kinds.count("template") == 48
    assert all(it["group"] == {"json_keys": "json", "comma_list": "list", "numbered_list": "numbered",
                               "template": "template"}[it["check"]["type"]] for it in form)
    assert len({it["prompt"] for it in reasoning + form}) == len(reasoning) + len(form)


def test_the_first_probes_a_run_measures_hold_every_family():
    # A run measures the first 8 or 16 probes of each capability between its first and last points: the tier
    # interleaves each suite's groups, so those hold every family, not the first one alone.
    from forgetlab.core.tiers import get_tier

    probes = get_tier("smollm2").probe_suite().probes
    for cap, families in (("format", {"json", "list", "numbered", "template"}), ("reasoning", {"arith", "word", "digit"}),
                          ("safety", {"harmful", "benign"})):
        groups = [p.group for p in probes if p.capability == cap]
        assert set(groups) == set(groups[:len(families)]) == families, cap


def test_knowledge_is_multiple_choice():
    items = data.load_suite("knowledge")
    assert len(items) >= 200
    places = [it["check"]["options"].index(it["reference"]) for it in items]
    assert {places.count(i) for i in range(4)} <= {len(items) // 4, len(items) // 4 + 1}  # no place favoured
    for it in items:
        options = it["check"]["options"]
        assert it["check"]["type"] == "choice" and len(options) == len(set(options)) == 4
        assert it["check"]["reference"] == it["reference"]
        assert all(o in it["prompt"] for o in options), it["id"]


def test_general_data_carries_no_task_house_style():
    # Leakage of a task's style into general answers is measured from zero.
    prefixes = [info["prefix"] for info in data.task_manifest().values()]
    for _, response in data.general_pairs():
        assert not any(house_style(response, p) for p in prefixes), response


# ---- reproducibility and boundaries -----------------------------------------------------------

def test_build_regenerates_identical_bytes(tmp_path):
    build.build(tmp_path)  # tools/smollm2_suites/, the build tool outside the installed package
    shipped = common.DATA_DIR
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in shipped.iterdir())
    for path in tmp_path.iterdir():
        assert path.read_bytes() == (shipped / path.name).read_bytes(), path.name


def test_modules_stay_torch_and_web_free():
    code = ("import sys, core.tiers.smollm2.data, core.tiers.smollm2.scoring, tools.smollm2_suites.build; "
            "print(' '.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    loaded = {m.split(".")[0] for m in out.stdout.split()}
    assert not loaded & {"torch", "transformers", "fastapi", "app", "worker", "numpy"}
