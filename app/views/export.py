"""Exports of a run, a comparison or a sweep: per-step metrics and summaries, as CSV or JSON.

The API (/api/export/...) and `forgetlab export` both call `render`, so a download and a file written
from the command line hold the same bytes. CSV is wide (one row per run and step, one column per
measure) because that is what a spreadsheet or pandas wants; JSON keeps the nesting.
"""

from __future__ import annotations

import csv
import io
import json
from itertools import groupby

from sqlalchemy import select
from sqlalchemy.orm import Session

from forgetlab.core.compare import mean_drop
from forgetlab.core.errors import Invalid, NotFound
from forgetlab.core.scenario import Scenario
from forgetlab.core.store import runs as run_data
from forgetlab.core.store import sweeps
from forgetlab.core.store.models import MetricPoint, Run

from ..services import hidden

TABLES = ("metrics", "summary")
FORMATS = ("csv", "json")
MAX_RUNS = 100  # an export by run ids; a sweep has at most 48 anyway



def select_runs(session: Session, *, run_ids: list[int] | None = None, sweep_id: int | None = None,
                where=None, sweep_where=None) -> list[Run]:
    """The runs to export: the given ids (each must exist) or every distinct run of a sweep, in its order.
    `where` and `sweep_where`: the web caller's visibility rules (core/store/access.py); the CLI, which
    reads the database directly, passes none."""
    if sweep_id is not None:
        if sweeps.get_sweep(session, sweep_id=sweep_id, where=sweep_where) is None:
            raise NotFound(f"no sweep {sweep_id}", "runs")
        return sweeps.unique_runs(sweeps.members(session, sweep_id=sweep_id))
    if not run_ids:
        raise Invalid("name the runs (runs=3,5) or a sweep (sweep=2)", "runs")
    if len(run_ids) > MAX_RUNS:
        raise Invalid(f"at most {MAX_RUNS} runs per export", "runs")
    found = run_data.get_runs(session, run_ids=run_ids, where=where)
    missing = [str(i) for i in run_ids if i not in found]
    if missing:
        raise NotFound(f"no run {', '.join(missing)}", "runs")
    return [found[i] for i in run_ids]


def points(session: Session, run_ids: list[int]) -> dict[int, list[tuple[int, dict[str, float]]]]:
    """Every stored metric point of the runs, grouped per run and step (one query)."""
    rows = session.execute(select(MetricPoint.run_id, MetricPoint.step, MetricPoint.key, MetricPoint.value)
                           .where(MetricPoint.run_id.in_(run_ids))
                           .order_by(MetricPoint.run_id, MetricPoint.step, MetricPoint.key)).all()
    out: dict[int, list] = {i: [] for i in run_ids}
    for (run_id, step), group in groupby(rows, key=lambda r: (r[0], r[1])):
        out[run_id].append((step, {key: value for _, _, key, value in group}))
    return out


def flat_summary(summary: dict | None) -> dict:
    """A summary as flat columns: final.knowledge, task_accuracy.final, wise_ft.0.5.task, mean_drop, ..."""
    if not summary:
        return {}
    out: dict = {}
    for key, value in summary.items():
        if key == "wise_ft":
            for p in value or []:
                out[f"wise_ft.{p['alpha']:g}.task"] = p["task"]
                out.update({f"wise_ft.{p['alpha']:g}.{c}": v for c, v in p["capabilities"].items()})
                out.update({f"wise_ft.{p['alpha']:g}.{c}.nll": v for c, v in (p.get("nll") or {}).items()})
        elif isinstance(value, dict):  # one level deeper too: fact_split.rehearsed.final, ...
            for k, v in value.items():
                out.update({f"{key}.{k}.{kk}": vv for kk, vv in v.items()} if isinstance(v, dict) else {f"{key}.{k}": v})
        else:
            out[key] = value
    if summary.get("forgetting"):
        out["mean_drop"] = mean_drop(summary)
    return out


def _config_cell(value):
    return " ".join(value) if isinstance(value, list) else value


def shown_points(session: Session, chosen: list) -> dict[int, list[tuple[int, dict[str, float]]]]:
    """points() as each run's viewer may see them: a masked run's (app/services/hidden.py) without the scalars
    that read back its settings."""
    per_run = points(session, [r.id for r in chosen])
    return {r.id: [(step, hidden.point_values(r, values)) for step, values in per_run[r.id]] for r in chosen}


def tables(session: Session, chosen: list[Run]) -> dict[str, tuple[list[str], list[dict]]]:
    """{"metrics": (columns, rows), "summary": (columns, rows)} for CSV."""
    per_run = shown_points(session, chosen)
    keys = sorted({k for pts in per_run.values() for _, values in pts for k in values})
    metric_rows = [{"run_id": r.id, "step": step, **values} for r in chosen for step, values in per_run[r.id]]
    summaries = {r.id: flat_summary(r.summary) for r in chosen}
    summary_keys = list(dict.fromkeys(k for s in summaries.values() for k in s))
    fields = [f for f in Scenario.model_fields]
    summary_rows = [{"run_id": r.id, "status": r.status, "config_hash": r.config_hash,
                     **{f"config.{f}": _config_cell(r.config.get(f)) for f in fields}, **summaries[r.id]}
                    for r in chosen]
    return {"metrics": (["run_id", "step", *keys], metric_rows),
            "summary": (["run_id", "status", "config_hash", *[f"config.{f}" for f in fields], *summary_keys],
                        summary_rows)}


def to_csv(columns: list[str], rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def render(session: Session, chosen: list[Run], *, table: str, fmt: str) -> str:
    """One export file's text."""
    if fmt == "csv":
        return to_csv(*tables(session, chosen)[table])
    if table == "metrics":
        per_run = shown_points(session, chosen)
        doc = [{"run_id": r.id, "points": [{"step": s, "values": v} for s, v in per_run[r.id]]} for r in chosen]
    else:
        doc = [{"run_id": r.id, "status": r.status, "config_hash": r.config_hash, "config": r.config,
                "summary": r.summary, "mean_drop": mean_drop(r.summary) if r.summary else None} for r in chosen]
    return json.dumps({"runs": doc}, indent=1)


def filename(*, run_ids: list[int] | None = None, sweep_id: int | None = None, table: str, fmt: str) -> str:
    """forgetlab-run-12-metrics.csv, forgetlab-runs-3-5-summary.json, forgetlab-sweep-2-metrics.csv."""
    if sweep_id is not None:
        what = f"sweep-{sweep_id}"
    else:
        ids = run_ids or []
        what = f"run-{ids[0]}" if len(ids) == 1 else "runs-" + "-".join(map(str, ids[:8])) + ("-more" if len(ids) > 8 else "")
    return f"forgetlab-{what}-{table}.{fmt}"
