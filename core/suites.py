"""An engineer's own capability suite: a JSONL file of probes, each with its prompt, a reference answer and a
scorer, measured in runs, the callback and the gate beside the tier's capabilities under the suite's name.

One item a line: {"prompt": ..., "reference": ..., "scorer": ..., <the scorer's fields>}. The scorers and
their fields (SCORERS): `exact` (the reply is the reference), `contains` (the reference occurs in the
reply), `regex` ("pattern": the reply matches it), `choice` ("options": the reference is the option of
highest likelihood), `json_keys` ("keys", optional "values": the reply is a JSON object with them),
`ifeval` ("instructions": IFEval's checks, core/ifeval.py) and `refusal` (optional "refuse", default
true: the reply refuses by the SmolLM2 tier's refusal rule; false: it does not). The reference is the
answer whose likelihood is the continuous measure beside the pass rate, as for the tier's suites.

Validated like a dataset (core/datasets.py's reading of the file): all or nothing, every bad line named
with its field. A suite is known by its content: its id is a hash of its name and items, so the same file
uploaded twice is one suite and a run naming it always measures the same probes. Suites are scored on
generations, so only chat tiers measure them (`accepts`). Torch-free and web-free.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from . import ifeval
from .datasets import DatasetError, json_object, jsonl_lines
from .probes import Probe
from .tiers.base import Tier
from .tiers.smollm2 import scoring

MIN_ITEMS = 4  # fewer, and a pass rate moves in steps too large to read
MAX_ITEMS = 500  # each item is a generation at every evaluation point
MAX_PROMPT = 2000  # characters
MAX_REFERENCE = 1000  # a judged answer's budget is twice its reference's tokens (worker/engine/decode.py)
MAX_OPTIONS = 10
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")  # it names a capability: in charts, URLs and reports
MAX_PER_RUN = 8
# The group of every user-suite probe: the tier's own measures over general answers (format rigidity) leave these
# out, so adding a suite to a run never changes them.
GROUP = "own suite"
# Each scorer's own fields: name -> required.
SCORERS: dict[str, dict[str, bool]] = {
    "exact": {}, "contains": {}, "regex": {"pattern": True}, "choice": {"options": True},
    "json_keys": {"keys": True, "values": False}, "ifeval": {"instructions": True}, "refusal": {"refuse": False},
}
COMMON = ("prompt", "reference", "scorer")


class SuiteError(DatasetError):
    """The file is not a valid suite: every bad line, with its field and why (as DatasetError)."""


@dataclass(frozen=True)
class UserSuite:
    id: str  # 16 hex characters of the sha256 of its name and canonical items
    name: str  # the capability it measures
    items: list[dict]  # sorted by prompt: the canonical order
    size_bytes: int

    def probes(self) -> list[Probe]:
        return probes_of(self.name, self.items)


def suite_id(name: str, items: list[dict]) -> str:
    blob = json.dumps([name, sorted(items, key=lambda i: i["prompt"])], ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def is_suite_id(text: str) -> bool:
    return isinstance(text, str) and re.fullmatch(r"[0-9a-f]{16}", text) is not None


def accepts(tier: Tier) -> bool:
    """Does this tier measure user suites? Chat tiers do (their suites are judged on generations); the synthetic
    tier's exact-match suites and word-level vocabulary cannot express a regex or an IFEval instruction."""
    return tier.chat


def refusal_reason(tier: Tier) -> str:
    return (f"tier {tier.name} does not measure your own suites: they are judged on a chat model's replies "
            "(choose the smollm2 tier)")


def name_problem(name: str) -> str | None:
    if not NAME.fullmatch(name):
        return "1 to 40 letters, digits, '_', '.' or '-', starting with a letter or digit (it names a capability)"
    return None


def parse_suite(data: bytes, name: str) -> UserSuite:
    """Validate a suite file whole; raise TooLarge, or SuiteError naming every bad line and field."""
    try:
        lines = jsonl_lines(data, name, MAX_ITEMS)
    except DatasetError as e:
        raise SuiteError(e.errors, name, e.total) from None
    errors: list[dict] = []
    if reason := name_problem(name):
        errors.append({"line": None, "field": "name", "reason": reason})
    if len(lines) < MIN_ITEMS:
        errors.append({"line": None, "field": "file", "reason": f"only {len(lines)} item(s); at least {MIN_ITEMS}"})
    items, first_seen = [], {}
    for n, line in lines:
        item = _item(n, line, errors)
        if item is None:
            continue
        if item["prompt"] in first_seen:
            errors.append({"line": n, "field": "prompt", "reason": f"the same prompt as line {first_seen[item['prompt']]}"})
            continue
        first_seen[item["prompt"]] = n
        items.append(item)
    if errors:
        raise SuiteError(errors, name)
    items.sort(key=lambda i: i["prompt"])
    return UserSuite(suite_id(name, items), name, items, len(data))


def _item(n: int, line: str, errors: list[dict]) -> dict | None:
    """One line as a canonical item (its text stripped); or None, with its problems added to `errors`."""
    obj = json_object(n, line, errors, '{"prompt": ..., "reference": ..., "scorer": ...}')
    if obj is None:
        return None
    before = len(errors)

    def bad(field: str, reason: str) -> None:
        errors.append({"line": n, "field": field, "reason": reason})

    scorer = obj.get("scorer")
    if scorer not in SCORERS:
        bad("scorer", f"one of {', '.join(SCORERS)}" if scorer is not None else "missing")
        return None
    own = SCORERS[scorer]
    for key in obj:
        if key not in COMMON and key not in own:
            bad(str(key)[:50], f"unknown key for the {scorer} scorer (it takes {', '.join([*COMMON, *own])})")
    for field, limit in (("prompt", MAX_PROMPT), ("reference", MAX_REFERENCE)):
        value = obj.get(field)
        if not isinstance(value, str) or not value.strip():
            bad(field, "missing" if value is None else "must be a non-empty string")
        elif len(value.strip()) > limit:
            bad(field, f"{len(value.strip())} characters, over the limit of {limit}")
    for key, required in own.items():
        if required and key not in obj:
            bad(key, f"the {scorer} scorer needs it")
    if len(errors) > before:
        return None
    item = {"prompt": obj["prompt"].strip(), "reference": obj["reference"].strip(), "scorer": scorer}
    for key in own:
        if key in obj:
            item[key] = obj[key]
    for reason in _field_problems(item):
        bad(*reason)
    return item if len(errors) == before else None


def _strings(value, limit: int) -> bool:
    return isinstance(value, list) and 0 < len(value) <= limit and all(isinstance(v, str) and v.strip() for v in value)


def _field_problems(item: dict) -> list[tuple[str, str]]:
    """(field, reason) for each scorer field that cannot be used as given."""
    scorer, found = item["scorer"], []
    if scorer == "regex":
        if not isinstance(item["pattern"], str) or not item["pattern"]:
            found.append(("pattern", "must be a non-empty string"))
        else:
            try:
                re.compile(item["pattern"])
            except re.error as e:
                found.append(("pattern", f"not a regular expression ({e})"))
    elif scorer == "choice":
        if not _strings(item["options"], MAX_OPTIONS) or len(item["options"]) < 2:
            found.append(("options", f"2 to {MAX_OPTIONS} non-empty strings"))
        elif item["reference"] not in item["options"]:
            found.append(("reference", "must be one of the options"))
        elif len(set(item["options"])) != len(item["options"]):
            found.append(("options", "each option once"))
    elif scorer == "json_keys":
        if not _strings(item["keys"], 50):
            found.append(("keys", "1 to 50 non-empty strings"))
        if "values" in item and not (isinstance(item["values"], dict) and set(item["values"]) <= set(item["keys"] or [])
                                     and all(isinstance(v, (str, int, float)) for v in item["values"].values())):
            found.append(("values", "an object of some of the keys to strings or numbers"))
    elif scorer == "ifeval":
        found += [("instructions", reason) for reason in ifeval.problems(item["instructions"])]
    elif scorer == "refusal" and not isinstance(item.get("refuse", True), bool):
        found.append(("refuse", "true or false"))
    if not found and scorer != "choice" and not scoring.check(check_of(item), item["reference"]):
        # The reference is a right answer: its likelihood is the measure beside the pass rate.
        found.append(("reference", f"does not pass its own {scorer} scorer"))
    return found


def check_of(item: dict) -> dict:
    """The check dict the SmolLM2 tier's judge reads (core/tiers/smollm2/scoring.py's CHECKERS)."""
    scorer = item["scorer"]
    if scorer in ("exact", "contains"):
        return {"type": scorer, "reference": item["reference"]}
    if scorer == "regex":
        return {"type": "regex", "pattern": item["pattern"]}
    if scorer == "choice":
        return {"type": "choice", "options": item["options"], "reference": item["reference"]}
    if scorer == "json_keys":
        return {"type": "json_keys", "keys": item["keys"], "values": item.get("values", {})}
    if scorer == "ifeval":
        return {"type": "ifeval", "instructions": item["instructions"], "prompt": item["prompt"]}
    return {"type": "refusal", "refuse": item.get("refuse", True)}


def probes_of(name: str, items: list[dict]) -> list[Probe]:
    """A suite's items as probes of the capability `name`."""
    return [Probe(i["prompt"], i["reference"], name, "capability", GROUP, check_of(i)) for i in items]


def names_problem(names: list[str], tier: Tier) -> str | None:
    """Why these suites cannot be measured together in `tier` (a name shared with a capability or another
    suite: each is a capability, known by its name), or None."""
    taken = set(tier.capabilities)
    for name in names:
        if name in taken:
            return f"two capabilities would be called {name!r}: rename your suite (upload it with another name)"
        taken.add(name)
    return None


def where(error: dict) -> str:
    """An error's place as people read it: "line 12: pattern", or "file" / "name" for the whole file."""
    return error["field"] if error["line"] is None else f"line {error['line']}: {error['field']}"
