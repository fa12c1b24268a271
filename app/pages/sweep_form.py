"""The builder's sweep rows: pick a field, list its values; every combination over the form's scenario runs.

Rows arrive as aligned `sweep_field` / `sweep_values` pairs. Values are comma-separated (LoRA target
sets, which contain commas of their own, are separated by semicolons). The grid is checked exactly as
the API checks it (core/grid.py's expand), so the builder shows the size or the reason it fails.
"""

from __future__ import annotations

from itertools import zip_longest

from forgetlab.core.grid import MAX_SWEEP_RUNS, expand
from forgetlab.core.scenario import Scenario, ScenarioError

from ..services.runs import preset_of

ROWS = 3
FIELDS = [name for name in Scenario.model_fields if name != "version"]


def rows_of(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    fields = [v for k, v in items if k == "sweep_field"]
    values = [v for k, v in items if k == "sweep_values"]
    rows = [(f.strip(), v.strip()) for f, v in zip_longest(fields, values, fillvalue="")]
    return rows + [("", "")] * (ROWS - len(rows))


def query_pairs(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The filled rows as query pairs, so the page address (and a shared link) keeps the sweep too."""
    pairs: list[tuple[str, str]] = []
    for field, text in rows:
        if field or text:
            pairs += [("sweep_field", field), ("sweep_values", text)]
    return pairs


def grid_of(rows: list[tuple[str, str]]) -> tuple[dict[str, list[str]], dict[str, str]]:
    grid: dict[str, list[str]] = {}
    errors: dict[str, str] = {}
    for field, text in rows:
        if not field and not text:
            continue
        if not field:
            errors["sweep"] = f"pick the field that the values {text!r} are for"
        elif field not in FIELDS:
            errors[field] = "unknown field"
        elif not text:
            errors[field] = "list its values, comma-separated (e.g. 1e-4, 1e-3)"
        elif field in grid:
            errors[field] = "is already swept in another row"
        else:
            grid[field] = [v.strip() for v in text.split(";" if field == "lora_targets" else ",") if v.strip()]
    return grid, errors


def spec_for(scenario: Scenario, grid: dict) -> dict:
    """A preset's name when the form holds exactly a preset, else only the fields that differ from the
    defaults: the stored sweep then reads "on preset break-it" and stays short."""
    name = preset_of(scenario)
    if name:
        return {"preset": name, "grid": grid}
    defaults = Scenario().model_dump(mode="json")
    base = {k: v for k, v in scenario.model_dump(mode="json").items() if v != defaults[k]}
    return {"base": base, "grid": grid} if base else {"grid": grid}


def state(items: list[tuple[str, str]], scenario: Scenario | None) -> dict:
    """{rows, grid, errors, size, spec}: size 0 means no sweep asked for (or not valid yet)."""
    rows = rows_of(items)
    grid, errors = grid_of(rows)
    spec, size = None, 0
    if grid and not errors and scenario is not None:
        spec = spec_for(scenario, grid)
        try:
            size = len(expand(spec))
        except ScenarioError as e:
            errors = e.errors
    return {"rows": rows, "grid": grid, "errors": errors, "size": size, "spec": spec if size else None,
            "filled": bool(grid or errors), "query": query_pairs(rows),
            "fields": FIELDS, "limit": MAX_SWEEP_RUNS}
