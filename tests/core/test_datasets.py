"""Users' datasets: validation names each bad line and field, limits, the content id, the split, the store."""

import json

import pytest

from forgetlab.core import datasets
from forgetlab.core.datasets import DatasetError, TooLarge, parse_jsonl, split
from forgetlab.core.store.datasets import create_dataset, get_dataset, list_datasets, pairs_of


def jsonl(rows) -> bytes:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows).encode()


def good(n=40, offset=0) -> list[dict]:
    return [{"prompt": f"question {i}", "response": f"answer {i}"} for i in range(offset, offset + n)]


def errors_of(data: bytes) -> dict[str, str]:
    with pytest.raises(DatasetError) as e:
        parse_jsonl(data, "f.jsonl")
    return {datasets.where(err): err["reason"] for err in e.value.errors}


def test_a_valid_file_becomes_a_dataset_with_a_data_task():
    d = parse_jsonl(jsonl(good()) + b"\n\n", "mine")  # blank lines are skipped
    assert len(d.pairs) == 40 and d.name == "mine" and d.task == f"data:{d.id}"
    assert len(d.id) == 16 and datasets.is_dataset_id(d.id)


def test_every_bad_line_is_named_with_its_field():
    rows = good(40)
    rows[1] = "not json"
    rows[2] = "[1, 2]"
    rows[3] = {"prompt": "p3"}
    rows[4] = {"prompt": 5, "response": "r"}
    rows[5] = {"prompt": "   ", "response": "r"}
    rows[6] = {"prompt": "p6", "response": "r", "label": "x"}
    rows[7] = {"prompt": "x" * 2001, "response": "r"}
    rows[8] = {"prompt": "p8", "response": "y" * 4001}
    rows[9] = {"prompt": "question 0", "response": "again"}
    errors = errors_of(jsonl(rows))
    assert errors == {
        "line 2: json": errors["line 2: json"], "line 3: json": errors["line 3: json"],
        "line 4: response": "missing", "line 5: prompt": "must be a string", "line 6: prompt": "empty",
        "line 7: label": "unknown key (only prompt and response)",
        "line 8: prompt": "2001 characters, over the limit of 2000",
        "line 9: response": "4001 characters, over the limit of 4000",
        "line 10: prompt": "the same prompt as line 1"}
    assert "not valid JSON" in errors["line 2: json"] and "object" in errors["line 3: json"]


def test_limits_on_pairs_lines_size_and_encoding():
    assert "at least 30" in errors_of(jsonl(good(29)))["file"]
    assert "over the limit of 5000" in errors_of(jsonl(good(5001)))["file"]
    assert errors_of(jsonl(good(40)[:3]) + b"\n\xff\xfe\n")["line 4: encoding"] == "not UTF-8 text"
    with pytest.raises(TooLarge):
        parse_jsonl(b"x" * (datasets.MAX_BYTES + 1), "big")
    assert parse_jsonl(b"\xef\xbb\xbf" + jsonl(good()), "bom").pairs  # a byte-order mark is fine


def test_at_most_20_errors_are_listed_but_all_are_counted():
    with pytest.raises(DatasetError) as e:
        parse_jsonl(jsonl(["nope"] * 50), "f")
    assert len(e.value.errors) == 20 and e.value.total == 50 and "50 problems" in e.value.message


def test_the_id_is_the_content_not_the_file():
    a = parse_jsonl(jsonl(good()), "a")
    assert parse_jsonl(jsonl(reversed(good())), "b").id == a.id  # order and name do not matter
    assert parse_jsonl(jsonl([{**r, "prompt": r["prompt"] + "  "} for r in good()]), "c").id == a.id  # stripped
    changed = good()
    changed[0]["response"] = "other"
    assert parse_jsonl(jsonl(changed), "d").id != a.id


def test_split_is_disjoint_deterministic_and_order_free():
    pairs = parse_jsonl(jsonl(good(1000)), "x").pairs
    s = split(pairs)
    prompts = {k: {p for p, _ in v} for k, v in s.items()}
    assert sum(len(v) for v in prompts.values()) == 1000
    assert not (prompts["train"] & prompts["validation"] or prompts["train"] & prompts["probe"]
                or prompts["validation"] & prompts["probe"])
    assert 700 < len(s["train"]) < 880 and 60 < len(s["validation"]) < 140 and 60 < len(s["probe"]) < 140
    assert split(list(reversed(pairs))) == s
    # Adding pairs never moves an existing probe into training (no leakage between uploads).
    grown = split(pairs + parse_jsonl(jsonl(good(200, offset=1000)), "y").pairs)
    assert prompts["probe"] <= {p for p, _ in grown["probe"]}


@pytest.mark.parametrize("n", [30, 31, 45, 79, 80, 200])
def test_small_files_still_get_validation_and_probe_pairs(n):
    s = split(parse_jsonl(jsonl(good(n)), "x").pairs)
    # At least 8 each wherever the file allows it, and every accepted file (30 pairs or more) allows it.
    assert len(s["validation"]) >= 8 and len(s["probe"]) >= 8
    assert sum(map(len, s.values())) == n


def test_a_30_pair_file_is_split_14_8_8():
    assert datasets.counts(split(parse_jsonl(jsonl(good(30)), "x").pairs)) == {"train": 14, "validation": 8, "probe": 8}
    # Below the upload minimum (a caller splitting pairs of its own) a third each at most, so train keeps some.
    assert datasets.counts(split(parse_jsonl(jsonl(good(30)), "x").pairs[:12])) == {"train": 4, "validation": 4,
                                                                                   "probe": 4}


def test_words_outside_a_word_level_tier_are_line_errors_naming_the_field():
    from forgetlab.core.tiers import get_tier
    from forgetlab.core.tiers.synthetic import world

    rows = [{"prompt": p, "response": r} for p, r in dict(world.examples("shift", 80, 1)).items()][:40]
    vocabulary = datasets.vocabulary_of(get_tier("synthetic"))
    assert len(parse_jsonl(jsonl(rows), "mine", vocabulary).pairs) == 40  # the world's own words pass
    rows[2] = {"prompt": "shift a b =>", "response": "bonjour a"}
    rows[6] = {"prompt": "translate shift a =>", "response": "b"}
    with pytest.raises(DatasetError) as e:
        parse_jsonl(jsonl(rows), "mine", vocabulary)
    assert {datasets.where(err): err["reason"] for err in e.value.errors} == {
        "line 3: response": "word outside the synthetic tier's vocabulary: bonjour",
        "line 7: prompt": "word outside the synthetic tier's vocabulary: translate"}
    assert datasets.vocabulary_of(get_tier("smollm2")) is None  # a subword tokenizer spells any text
    assert parse_jsonl(jsonl(rows), "mine").pairs  # and with no tier named, words are not checked


def test_store_is_idempotent_by_id(sessions):
    d = parse_jsonl(jsonl(good()), "first")
    with sessions() as session:
        row, created = create_dataset(session, dataset=d)
        assert created and row.id == d.id
    with sessions() as session:
        again, created = create_dataset(session, dataset=parse_jsonl(jsonl(reversed(good())), "second"))
        assert not created and again.name == "first"
        other, _ = create_dataset(session, dataset=parse_jsonl(jsonl(good(offset=100)), "other"))
    with sessions() as session:
        assert pairs_of(get_dataset(session, dataset_id=d.id, owner_id=None)) == d.pairs
        assert get_dataset(session, dataset_id="0" * 16, owner_id=None) is None
        assert [r.id for r in list_datasets(session, limit=10)] == [other.id, d.id]  # newest first


def test_the_same_pairs_are_each_uploaders_own_row_over_one_stored_copy(sessions):
    from forgetlab.core.store.datasets import stored_pairs
    from forgetlab.core.store.models import DatasetContent, StoredDataset

    d = parse_jsonl(jsonl(good()), "first")
    with sessions() as session:
        mine, created = create_dataset(session, dataset=d, owner_id=1)
        assert created
        theirs, created = create_dataset(session, dataset=parse_jsonl(jsonl(reversed(good())), "theirs"), owner_id=2)
        assert created and theirs.id == mine.id and (theirs.owner_id, theirs.name) == (2, "theirs")
        assert create_dataset(session, dataset=d, owner_id=2) == (theirs, False)  # once per owner
    with sessions() as session:
        assert session.query(DatasetContent).count() == 1 and session.query(StoredDataset).count() == 2
        assert get_dataset(session, dataset_id=d.id, owner_id=1).name == "first"
        assert get_dataset(session, dataset_id=d.id, owner_id=3) is None  # another owner's: as unknown
        assert pairs_of(get_dataset(session, dataset_id=d.id, owner_id=2)) == stored_pairs(session, dataset_id=d.id)


def test_a_deeply_nested_line_is_a_line_error_not_a_crash():
    rows = good(40)
    rows[3] = "[" * 5000
    rows[4] = '{"prompt": ' + "[" * 3000 + "]" * 3000 + ', "response": "r"}'
    errors = errors_of(jsonl(rows))
    assert errors["line 4: json"] == "nested too deeply (expected a flat object)"
    assert errors["line 5: json"] == "nested too deeply (expected a flat object)"
