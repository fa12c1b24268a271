"""A class roster as a CSV file: `username,name,email` (a header row is optional; name and email may be
empty), as LMS exports and spreadsheets write it. Pure: every bad line is named."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from .errors import Invalid

MAX_ROWS = 500
EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")


@dataclass(frozen=True)
class Student:
    username: str
    name: str
    email: str


def parse_roster(text: str, check_name) -> list[Student]:
    """The students of a roster CSV; Invalid naming `csv` and each bad line (`check_name` is the login-name
    rule, core/store/accounts.check_name: it lowercases and raises Invalid)."""
    try:
        rows = [r for r in csv.reader(io.StringIO(text or "")) if any(cell.strip() for cell in r)]
    except csv.Error as e:  # a NUL byte, an unclosed quote at the end
        raise Invalid(f"not a CSV file: {e}", "csv") from None
    if rows and [c.strip().lower() for c in rows[0][:1]] == ["username"]:
        rows = rows[1:]
    if not rows:
        raise Invalid("the roster is empty: one student a line, username,name,email", "csv")
    if len(rows) > MAX_ROWS:
        raise Invalid(f"at most {MAX_ROWS} students at once", "csv")
    problems, out, seen = [], [], set()
    for number, row in enumerate(rows, 1):
        cells = [c.strip() for c in row] + ["", ""]
        try:
            username = check_name(cells[0])
        except Invalid as e:
            problems.append(f"line {number}: {e.message}")
            continue
        if cells[2] and not EMAIL.match(cells[2]):
            problems.append(f"line {number}: {cells[2]!r} is not an email address")
            continue
        if username in seen:
            problems.append(f"line {number}: {username} is listed twice")
            continue
        seen.add(username)
        out.append(Student(username, cells[1][:200], cells[2][:320]))
    if problems:
        raise Invalid("; ".join(problems), "csv")
    return out
