"""A user's own fine-tuning data: a JSONL file of {"prompt": ..., "response": ...} pairs.

`parse_jsonl` validates an upload as a whole and names every bad line (nothing is kept unless
every line is good); `split` cuts the pairs into train, validation and probe. A dataset is known
by its content: its id is a hash of its pairs, so the same data uploaded twice is one dataset,
and a run's task `data:<id>` (part of the run cache's key) always means exactly the same pairs.
Torch-free and web-free: the API, the pages, the worker and the CLI all use it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from .errors import Invalid
from .tiers.base import DATASET_PREFIX, Pairs, Tier

MAX_BYTES = 2 * 1024 * 1024
MAX_LINES = 5000
MAX_PROMPT = 2000  # characters
MAX_RESPONSE = 4000
MIN_PAIRS = 30  # fewer leaves validation and probe splits too small to mean anything
# Validation and probe pairs each split keeps at least (a third of the file each, were it smaller): task
# accuracy on 3 probes can only move in thirds. MIN_PAIRS is enough for 8 and 8, with 14 left to train on.
MIN_HELD_OUT = 8
MAX_LISTED = 20  # errors listed; the message still counts them all
FIELDS = ("prompt", "response")
LIMITS = {"prompt": MAX_PROMPT, "response": MAX_RESPONSE}


class DatasetError(Invalid):
    """The file is not a valid dataset. `errors`: [{"line": n or None (the whole file), "field", "reason"}],
    at most MAX_LISTED of them; `total` counts them all."""

    def __init__(self, errors: list[dict], name: str = "the file", total: int | None = None):
        self.errors, self.total = errors[:MAX_LISTED], total or len(errors)
        more = f"; the first {MAX_LISTED} are listed" if self.total > MAX_LISTED else ""
        super().__init__(f"{name}: {self.total} problem{'s' if self.total != 1 else ''}{more}", "file")


class TooLarge(Invalid):
    """Over MAX_BYTES: told apart from DatasetError because the API answers 413, not 422."""

    def __init__(self, size: int | None = None):
        got = f" (got {size:,} bytes)" if size is not None else ""
        super().__init__(f"a dataset file is at most {MAX_BYTES // (1024 * 1024)} MB{got}", "file")


@dataclass(frozen=True)
class Dataset:
    id: str  # 16 hex characters of the sha256 of its canonical pairs
    name: str
    pairs: Pairs  # sorted by prompt: the canonical order
    size_bytes: int

    @property
    def task(self) -> str:
        return DATASET_PREFIX + self.id


def dataset_id(pairs: Pairs) -> str:
    """The id of these pairs: the same pairs in any file order give the same id."""
    blob = json.dumps(sorted([p, r] for p, r in pairs), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Vocabulary:
    """The words a tier's word-level tokenizer can spell (Tier.words()): text split on whitespace must use
    only these, or the run would meet tokens it has no embedding for."""

    tier: str
    words: frozenset[str]

    def unknown(self, text: str) -> list[str]:
        """The words of `text` outside the vocabulary, each once, in order of appearance."""
        return list(dict.fromkeys(w for w in text.split() if w not in self.words))

    def reason(self, unknown: list[str]) -> str:
        shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        return f"word{'s' if len(unknown) != 1 else ''} outside the {self.tier} tier's vocabulary: {shown}"

    def errors(self, numbered: list[tuple[int, tuple[str, str]]]) -> list[dict]:
        """A line error per field that uses a word the tier cannot spell."""
        out = []
        for n, pair in numbered:
            for field, text in zip(FIELDS, pair):
                if unknown := self.unknown(text):
                    out.append({"line": n, "field": field, "reason": self.reason(unknown)})
        return out


def vocabulary_of(tier: Tier) -> Vocabulary | None:
    """The tier's vocabulary when its tokenizer is word-level; None when any text will do."""
    words = tier.words()
    return Vocabulary(tier.name, words) if words is not None else None


def jsonl_lines(data: bytes, name: str, max_lines: int = MAX_LINES) -> list[tuple[int, str]]:
    """The non-blank lines of a JSONL upload, numbered from 1; TooLarge, or DatasetError for text that is not
    UTF-8 or has too many lines. Datasets and capability suites (core/suites.py) read their files with it."""
    if len(data) > MAX_BYTES:
        raise TooLarge(len(data))
    try:
        text = data.decode("utf-8-sig")  # a leading byte-order mark (some Windows editors) is harmless
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise DatasetError([{"line": line, "field": "encoding", "reason": "not UTF-8 text"}], name) from None
    # split("\n"), not splitlines(): JSON strings may hold U+2028 and friends, which splitlines breaks on.
    lines = [(n, line.strip()) for n, line in enumerate(text.split("\n"), 1) if line.strip()]
    if len(lines) > max_lines:
        raise DatasetError([{"line": None, "field": "file",
                             "reason": f"{len(lines)} lines, over the limit of {max_lines}"}], name)
    return lines


def json_object(n: int, line: str, errors: list[dict], shape: str) -> dict | None:
    """One line as a JSON object; or None, with why not added to `errors`. `shape` says what was expected."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        errors.append({"line": n, "field": "json", "reason": f"not valid JSON ({e.msg} at column {e.colno})"})
        return None
    except RecursionError:  # json's decoder recurses once per bracket
        errors.append({"line": n, "field": "json", "reason": "nested too deeply (expected a flat object)"})
        return None
    if not isinstance(obj, dict):
        errors.append({"line": n, "field": "json", "reason": f"expected an object {shape}"})
        return None
    return obj


def parse_jsonl(data: bytes, name: str, vocabulary: Vocabulary | None = None) -> Dataset:
    """Validate a JSONL upload; raise TooLarge, or DatasetError listing every bad line (line numbers from 1).
    `vocabulary`: the tier the data is for, when its tokenizer is word-level (its words are checked too)."""
    lines = jsonl_lines(data, name)
    errors: list[dict] = []
    if len(lines) < MIN_PAIRS:
        errors.append({"line": None, "field": "file",
                       "reason": f"only {len(lines)} line{'s' if len(lines) != 1 else ''}; at least {MIN_PAIRS} pairs "
                                 "are needed"})
    numbered: list[tuple[int, tuple[str, str]]] = []
    first_seen: dict[str, int] = {}  # prompt -> line
    for n, line in lines:
        pair = _pair(n, line, errors)
        if pair is None:
            continue
        if pair[0] in first_seen:
            errors.append({"line": n, "field": "prompt", "reason": f"the same prompt as line {first_seen[pair[0]]}"})
            continue
        first_seen[pair[0]] = n
        numbered.append((n, pair))
    if vocabulary is not None:
        errors += vocabulary.errors(numbered)
        errors.sort(key=lambda e: e["line"] or 0)  # the file's own problem first, then by line
    pairs: Pairs = [pair for _, pair in numbered]
    if errors:
        raise DatasetError(errors, name)
    pairs.sort()
    return Dataset(dataset_id(pairs), name, pairs, len(data))


def _pair(n: int, line: str, errors: list[dict]) -> tuple[str, str] | None:
    """One line's (prompt, response), stripped; or None, with its problems added to `errors`."""
    obj = json_object(n, line, errors, '{"prompt": ..., "response": ...}')
    if obj is None:
        return None
    before = len(errors)
    for key in obj:
        if key not in FIELDS:
            errors.append({"line": n, "field": str(key)[:50], "reason": "unknown key (only prompt and response)"})
    values = []
    for field in FIELDS:
        value = obj.get(field)
        if value is None:
            errors.append({"line": n, "field": field, "reason": "missing"})
        elif not isinstance(value, str):
            errors.append({"line": n, "field": field, "reason": "must be a string"})
        elif not value.strip():
            errors.append({"line": n, "field": field, "reason": "empty"})
        elif len(value.strip()) > LIMITS[field]:
            errors.append({"line": n, "field": field,
                           "reason": f"{len(value.strip())} characters, over the limit of {LIMITS[field]}"})
        else:
            values.append(value.strip())
    return (values[0], values[1]) if len(errors) == before else None


def _position(prompt: str) -> float:
    """Where a prompt falls in [0, 1): a hash, so it depends on the prompt alone."""
    return int.from_bytes(hashlib.sha256(prompt.encode()).digest()[:8], "big") / 2**64


def split(pairs: Pairs) -> dict[str, Pairs]:
    """About 80/10/10 train/validation/probe, each pair placed by a hash of its prompt.

    Why a hash and not a shuffle: a pair lands in the same split whatever the file order and
    whatever else the file holds, so adding lines never moves a probe into training (no leakage
    between uploads of a growing file), and every worker and the CLI cut the same way. Prompts are
    unique, so no prompt is both trained on and probed. A file under 80 pairs would leave validation
    or probe below MIN_HELD_OUT (and any file could, by chance); each is topped up to
    min(MIN_HELD_OUT, n // 3) pairs from train (8 and 8 of a 30-pair file, 14 left to train on),
    taking the train pairs whose hash lies nearest its range, so the top-up is as deterministic as
    the rest."""
    ranked = sorted(pairs, key=lambda pair: (_position(pair[0]), pair[0]))
    out: dict[str, Pairs] = {"train": [], "validation": [], "probe": []}
    for pair in ranked:
        at = _position(pair[0])
        out["train" if at < 0.8 else "validation" if at < 0.9 else "probe"].append(pair)
    least = min(MIN_HELD_OUT, len(pairs) // 3)
    for name in ("probe", "validation"):  # train is ranked by position: its tail lies nearest 0.8
        while len(out[name]) < least and out["train"]:
            out[name].insert(0, out["train"].pop())
    return out


def where(error: dict) -> str:
    """An error's place as people read it: "line 12: response", or "file" for the whole file."""
    return "file" if error["line"] is None else f"line {error['line']}: {error['field']}"


def is_dataset_id(text: str) -> bool:
    return len(text) == 16 and all(c in "0123456789abcdef" for c in text)


def counts(splits: dict[str, Pairs]) -> dict[str, int]:
    return {name: len(pairs) for name, pairs in splits.items()}
