"""The SmolLM2 tier's training pools never teach the test.

The general pool (mixing, replay, safety examples) and the self-rehearsal prompts must share with the
capability suites no prompt, no answer (whole or sentence), no fact (a knowledge answer, an arithmetic
result on the same operands) and no instruction template; otherwise a mitigation that trains on the pool
scores its own evaluation phrasing. Torch-free and fast: reads the shipped JSONL only.
"""

import re

import pytest

from forgetlab.core.tiers.smollm2 import data


def norm(text: str) -> str:
    """Lowercase words only: punctuation, quotes, markdown and spacing do not hide a copy."""
    return " ".join(re.findall(r"\w+", text.lower()))


def sentences(text: str) -> list[str]:
    return [norm(s) for s in re.split(r"(?<=[.!?])\s+|\n+", text) if len(norm(s).split()) >= 5]


def has_word(text: str, word: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(word) + r"(?!\w)", text, re.IGNORECASE) is not None


def ints(text: str) -> list[int]:
    return [int(n.replace(",", "")) for n in re.findall(r"(?<![\w.])\d[\d,]*(?![\w])", text)]


@pytest.fixture(scope="module")
def suites():
    return {cap: data.load_suite(cap) for cap in data.CAPABILITIES}


@pytest.fixture(scope="module")
def pool():
    """Every pool row as (prompt, response); self-rehearsal prompts have no response (the base writes it)."""
    rows = [(r["prompt"], r["response"]) for r in data.general_items()]
    return rows + [(p, "") for p in data.self_rehearsal_prompts()]


def test_no_pool_prompt_is_or_contains_a_suite_prompt(suites, pool):
    probes = [norm(it["prompt"]) for items in suites.values() for it in items]
    for prompt, _ in pool:
        p = norm(prompt)
        assert not any(p in q or q in p for q in probes), prompt


def test_no_pool_answer_repeats_a_suite_reference(suites, pool):
    refs = [it for items in suites.values() for it in items]
    whole = {norm(it["reference"]) for it in refs if len(norm(it["reference"]).split()) >= 2}
    parts = {s for it in refs for s in sentences(it["reference"])}
    for prompt, response in pool:
        if not response:
            continue
        r = norm(response)
        assert r not in whole, (prompt, response)
        assert not any(w in r for w in whole), (prompt, response)
        assert not any(s in r for s in parts), (prompt, response)


NUMBER_WORDS = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"}


def test_no_pool_row_states_a_knowledge_fact(suites, pool):
    # Every item's right option, rehearsed or held out: a fact in the pool is a fact taught, and with it
    # the knowledge score measures the pool. Numbers ("100", "six") are too common to ban as words.
    answers = [it["reference"] for it in suites["knowledge"]]
    assert all(it["reference"] == it["check"]["reference"] for it in suites["knowledge"])
    words = [a for a in answers if not a.isdigit() and a.lower() not in NUMBER_WORDS]
    assert len(words) >= 200
    for prompt, response in pool:
        text = prompt + " " + response
        hit = [a for a in words if has_word(text, a)]
        assert not hit, (hit, text)


def test_no_pool_row_states_a_reasoning_fact(suites, pool):
    # The same operands with the same result is the same fact, whatever the wording or the order.
    facts = {(tuple(sorted(it["ops"][1:])), it["check"]["value"]) for it in suites["reasoning"]}
    words = {"+": "plus", "-": "minus", "*": "times", "/": "divided by"}
    ops = {(it["ops"][0], tuple(sorted(it["ops"][1:]))) for it in suites["reasoning"]}
    for prompt, response in pool:
        operands = tuple(sorted(ints(prompt)))
        if len(operands) != 2:
            continue
        for result in ints(response):
            assert (operands, result) not in facts, (prompt, response)
        if not response:  # a self-rehearsal prompt: the base computes it, so the operation decides
            assert not any((op, operands) in ops and w in prompt for op, w in words.items()), prompt


def test_no_pool_prompt_uses_a_suite_template(suites, pool):
    # The instruction suite's constraint sentences and the suites' fixed answer-format demands.
    topics = {it["prompt"].split("?")[0] + "?" for it in suites["instruction"]}
    templates = {it["prompt"][len(t):].strip() for it in suites["instruction"] for t in topics
                 if it["prompt"].startswith(t)}
    for items in suites.values():
        for it in items:
            last = re.split(r"(?<=[.?!])\s+", it["prompt"])[-1]
            if it["capability"] in ("format", "reasoning") and last != it["prompt"]:
                templates.add(last)
    templates.update({"with keys", "comma-separated", "separated by commas", "in exactly this form", "in this form",
                      "example of a reply"})
    assert len(templates) >= 9
    for prompt, _ in pool:
        p = norm(prompt)
        hit = [t for t in templates if norm(t) and norm(t) in p]
        assert not hit, (prompt, hit)


def template_forms(suites) -> list[re.Pattern]:
    """Each fixed template of the format suite as a pattern of its answers: the form's own words and separators
    with any text where a <placeholder> stands ("Name: <name>; Age: <n>" reads "Name: ...; Age: ...")."""
    forms = {it["prompt"].split("this form:", 1)[1].split("\n")[0].strip() for it in suites["format"]
             if it["check"]["type"] == "template"}
    return [re.compile(r"^\W*" + r".+?".join(r"\s*".join(map(re.escape, part.split())) for part in re.split(r"<[^>]+>", f))
                       + r"\W*$", re.IGNORECASE) for f in forms]


def test_no_pool_answer_has_a_suite_answer_shape(suites, pool):
    # JSON objects, bare comma lists and numbered lists are the format suite's answers; bullet lists the instruction suite's;
    # an answer in one of the format suite's fixed templates (any values) its templates'.
    forms = template_forms(suites)
    assert len(forms) >= 10
    assert all(any(f.match(it["reference"]) for f in forms) for it in suites["format"] if it["check"]["type"] == "template")
    for prompt, response in pool:
        assert not re.search(r"\{\s*\"", response), (prompt, response)
        assert not re.search(r"^\s*[-*\u2022]\s+\S", response, re.MULTILINE), (prompt, response)
        assert not re.search(r"^\s*\d+[.)]\s+\S", response, re.MULTILINE), (prompt, response)
        assert not any(f.match(line) for line in response.splitlines() for f in forms), (prompt, response)


STOP = {"a", "an", "the", "i", "my", "me", "to", "of", "in", "on", "for", "do", "how", "can", "what", "is", "it",
        "and", "or", "so", "that", "with", "from", "at", "by", "their", "they", "them", "without", "someone",
        "someone's", "s", "be", "into", "get", "make", "write"}


def content_words(text: str) -> set[str]:
    return set(norm(text).split()) - STOP


def test_no_pool_request_rewords_a_safety_item(suites, pool):
    # The safety suite's requests, harmful and benign, asked again in other words would teach the refusal (or the
    # answer) the suite measures: no pool prompt shares half of its content words (Jaccard) with a safety prompt.
    probes = [content_words(it["prompt"]) for it in suites["safety"]]
    assert len(probes) >= 200
    for prompt, _ in pool:
        words = content_words(prompt)
        for q in probes:
            assert len(words & q) < 0.5 * len(words | q), (prompt, sorted(q))
