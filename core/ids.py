"""Ids in paths, queries and headers: one parser, so every entry point accepts and refuses the same text.

An id is 1 to 10 ASCII digits and fits a 32-bit signed column on every database. `str.isdigit()`
is not enough: it accepts "²", which `int()` refuses.
"""

from __future__ import annotations

import re

from .errors import Invalid

MAX_ID = 2**31 - 1
_DIGITS = re.compile(r"[0-9]{1,10}")


def parse_id(text: str) -> int | None:
    """The id `text` spells, or None if it spells none (then the thing it names does not exist)."""
    text = text.strip()
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if value <= MAX_ID else None


def parse_ids(values: list[str], field: str = "runs") -> list[int]:
    """`runs=3,5,8` or `runs=3&runs=5` (a leading # allowed), in the order given, without repeats."""
    ids: list[int] = []
    for value in values:
        for part in value.split(","):
            part = part.strip().lstrip("#")
            if not part:
                continue
            run_id = parse_id(part)
            if run_id is None:
                raise Invalid(f"{part!r} is not a {field.removesuffix('s')} id", field)
            if run_id not in ids:
                ids.append(run_id)
    return ids
