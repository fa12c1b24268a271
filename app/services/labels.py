"""A person's words on a run (name, tags, note): checked once, for the page and the API.

Who may change them: the run's owner or an instructor of their class (ManagedRunDep, app/deps.py, guards
the routes).
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from forgetlab.core.errors import Invalid
from forgetlab.core.store import runs
from forgetlab.core.store.models import Run

MAX_NAME, MAX_TAGS, MAX_NOTE = 120, 8, 2000
TAG = re.compile(r"[a-z0-9][a-z0-9_.:-]{0,29}")


def clean(*, name: str | None, tags: str | list[str] | None, note: str | None) -> tuple[str, list[str], str]:
    """(name, tags, note) stripped and checked; Invalid names the bad field."""
    name, note = (name or "").strip(), (note or "").strip()
    if len(name) > MAX_NAME:
        raise Invalid(f"a name is at most {MAX_NAME} characters", "name")
    if len(note) > MAX_NOTE:
        raise Invalid(f"a note is at most {MAX_NOTE} characters", "note")
    words = tags.split(",") if isinstance(tags, str) else list(tags or [])
    found = list(dict.fromkeys(t.strip().lower() for t in words if t.strip()))
    if len(found) > MAX_TAGS:
        raise Invalid(f"at most {MAX_TAGS} tags", "tags")
    for tag in found:
        if not TAG.fullmatch(tag):
            raise Invalid(f"tag {tag!r}: 1 to 30 letters, digits or _ . : -, starting with a letter or digit",
                          "tags")
    return name, found, note


def label(session: Session, *, run: Run, name: str | None, tags: str | list[str] | None, note: str | None) -> Run:
    name, found, note = clean(name=name, tags=tags, note=note)
    runs.label_run(session, run_id=run.id, name=name, tags=found, note=note)
    return runs.get_run(session, run_id=run.id)
