"""The one way a scenario field is declared: a default, a range, a one-line explanation the form shows,
the form group it sits in, and (where its name is an abbreviation) the label a person reads.

core/scenario.py declares the base and measurement fields with it, each core/mitigations/<name>.py its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field
from pydantic.fields import FieldInfo


@dataclass(frozen=True)
class Label:
    """The form's label of a field. Kept in the field's metadata, where validation and the JSON schema
    (the API's) ignore it."""

    text: str


def field(default: Any, description: str, group: str, *, label: str | None = None, **limits: Any) -> Any:
    """A scenario field; `limits` are pydantic's (ge, le, min_length, ...)."""
    info = Field(default, description=description, json_schema_extra={"group": group}, **limits)
    if label:
        info.metadata.append(Label(label))
    return info


def declared_label(info: FieldInfo) -> str | None:
    """The label a field declares, if any (else the form words its name)."""
    return next((m.text for m in info.metadata if isinstance(m, Label)), None)
