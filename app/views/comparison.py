"""A comparison of 2-8 runs: what differs, results against a baseline run, curves, the frontier, WiSE-FT.

Built from stored rows only (config, summary, metric points), so the page, the API and the exports
agree; the arithmetic is core/compare.py's (pure, torch-free). A run's colour is its position
here, and every chart and table of the page uses that same colour.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

import forgetlab.core.compare as compare  # torch-free; a module name, so local names do not shadow it
from forgetlab.core.errors import Invalid, NotFound
from forgetlab.core.results import curve_keys
from forgetlab.core.scenario import Scenario
from forgetlab.core.store import runs as run_data
from forgetlab.core.store import sweeps
from forgetlab.core.store.models import MetricPoint, Run
from forgetlab.core.tiers import capabilities_of

from .charts import PALETTE
from .percent import pct, percent

MIN_RUNS, MAX_RUNS = 2, 8  # more lines than 8 on one chart stop being readable
MAX_POINTS = 400  # per curve; a longer one is thinned evenly, keeping its first and last points


def select_runs(session: Session, *, run_ids: list[int] | None = None, sweep_id: int | None = None,
                where=None, sweep_where=None) -> tuple[list[Run], str | None]:
    """The runs to compare and a note when a sweep had more than MAX_RUNS (the most telling are kept).
    `where` and `sweep_where` are the caller's visibility rules (core/store/access.py): what they leave
    out is "no run" / "no sweep", like an unknown id."""
    if sweep_id is not None:
        if run_ids:
            raise Invalid("give either runs or sweep, not both", "runs")
        if sweeps.get_sweep(session, sweep_id=sweep_id, where=sweep_where) is None:
            raise NotFound(f"no sweep {sweep_id}", "sweep")
        chosen = sweeps.unique_runs(sweeps.members(session, sweep_id=sweep_id))
        if len(chosen) < MIN_RUNS:
            raise Invalid(f"sweep {sweep_id} has only one distinct run: nothing to compare", "sweep")
        if len(chosen) <= MAX_RUNS:
            return chosen, None
        kept = pick(chosen)
        return kept, (f"This sweep has {len(chosen)} runs; the charts compare {MAX_RUNS} of them: the one that "
                      "learns the task with the least forgetting, the others on the learning-vs-forgetting "
                      "frontier, then those that forgot least. Pick others on the sweep's page.")
    run_ids = run_ids or []
    if not MIN_RUNS <= len(run_ids) <= MAX_RUNS:
        raise Invalid(f"compare {MIN_RUNS} to {MAX_RUNS} runs (got {len(run_ids)}), e.g. runs=3,5,8", "runs")
    found = run_data.get_runs(session, run_ids=run_ids, where=where)
    missing = [str(i) for i in run_ids if i not in found]
    if missing:
        raise NotFound(f"no run {', '.join(missing)}", "runs")
    return [found[i] for i in run_ids], None


def grid_order(session: Session, sweep_id: int | None) -> list[str] | None:
    sweep = sweeps.get_sweep(session, sweep_id=sweep_id) if sweep_id is not None else None
    return list(sweep.axes) if sweep else None


def pick(candidates: list[Run]) -> list[Run]:
    """MAX_RUNS of a sweep's runs: the best, the frontier, then least forgetting; back in grid order."""
    items = [_item(r) for r in candidates if r.summary]
    first = [b["id"]] if (b := compare.best(items)) else []
    frontier = sorted((p for p in compare.frontier(items) if p["pareto"]), key=lambda p: -p["task_gain"])
    by_drop = sorted(items, key=lambda i: compare.mean_drop(i["summary"]))
    order = first + [p["id"] for p in frontier] + [i["id"] for i in by_drop] + [r.id for r in candidates]
    kept = list(dict.fromkeys(order))[:MAX_RUNS]
    return [r for r in candidates if r.id in kept]


def _item(run: Run) -> dict:
    return {"id": run.id, "config": run.config, "summary": run.summary}


def label(config: dict, fields: list[str]) -> str:
    return " · ".join(f"{f}={fmt(config.get(f))}" for f in fields)


def fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "+".join(map(str, value))
    return str(value).lower() if isinstance(value, bool) else str(value)


def keys_of(chosen: list[Run]) -> list[str]:
    """The accuracy curves of these runs' tiers: one per capability, then the task."""
    return curve_keys([c.name for c in capabilities_of([r.config for r in chosen])])


def curves(session: Session, run_ids: list[int], keys: list[str]) -> dict[int, dict]:
    """{run id: {"steps": [...], key: [values aligned with steps, None where absent]}} for the keys."""
    rows = session.execute(select(MetricPoint.run_id, MetricPoint.step, MetricPoint.key, MetricPoint.value)
                           .where(MetricPoint.run_id.in_(run_ids), MetricPoint.key.in_(keys))
                           .order_by(MetricPoint.run_id, MetricPoint.step)).all()
    by_run: dict[int, dict[int, dict]] = {i: {} for i in run_ids}
    for run_id, step, key, value in rows:
        by_run[run_id].setdefault(step, {})[key] = value
    out = {}
    for run_id, points in by_run.items():
        steps = thin(sorted(points))
        out[run_id] = {"steps": steps, **{k: [points[s].get(k) for s in steps] for k in keys}}
    return out


def thin(steps: list[int]) -> list[int]:
    if len(steps) <= MAX_POINTS:
        return steps
    return sorted({steps[round(i * (len(steps) - 1) / (MAX_POINTS - 1))] for i in range(MAX_POINTS)})


def build(session: Session, chosen: list[Run], *, baseline: int | None = None, with_curves: bool = True,
          order: list[str] | None = None) -> dict:
    """Everything the comparison shows, as plain data (the API returns it as is). `order`: the sweep's
    grid fields, so its columns read as on the sweep's page; other differing fields follow."""
    finished = [_item(r) for r in chosen if r.status == "succeeded" and r.summary]
    if baseline is None:
        baseline = finished[0]["id"] if finished else None
    elif baseline not in [r.id for r in chosen]:
        raise Invalid(f"the baseline must be one of the compared runs, not {baseline}", "baseline")
    elif baseline not in [i["id"] for i in finished]:
        raise Invalid(f"run {baseline} has no result yet; pick a finished run as the baseline", "baseline")
    varying = compare.config_diff([_item(r) for r in chosen])
    rank = {name: i for i, name in enumerate(order or [])}
    varying.sort(key=lambda name: rank.get(name, len(rank)))  # stable: schema order after the grid's
    deltas = compare.deltas(finished, baseline) if baseline is not None else {}
    frontier = {p["id"]: p for p in compare.frontier(finished)}
    best = compare.best(finished)
    keys = keys_of(chosen)
    lines = curves(session, [r.id for r in chosen], keys) if with_curves else {}
    out_runs = [{"id": run.id, "status": run.status, "color": PALETTE[index % len(PALETTE)],
                 "label": label(run.config, varying) or f"run {run.id}",
                 "varying": {f: run.config.get(f) for f in varying}, "config": run.config, "summary": run.summary,
                 "deltas": deltas.get(run.id), "frontier": frontier.get(run.id),
                 "wise_ft": wise(run.summary) if run.id in frontier else [], "curve": lines.get(run.id)}
                for index, run in enumerate(chosen)]
    return {"runs": out_runs, "varying": varying, "common": common(chosen[0].config, varying),
            "baseline": baseline, "best": best["id"] if best else None, "learned": compare.LEARNED,
            "metrics": list(compare.headline(finished[0]["summary"])) if finished else [],
            "base": base_levels(lines, keys), "verdict": verdict(out_runs, best)}


def wise(summary: dict) -> list[dict]:
    """A WiSE-FT curve as the chart draws it: per blend, the task and the general capabilities' mean."""
    return [{"alpha": p["alpha"], "task": p["task"],
             "general": sum(p["capabilities"].values()) / len(p["capabilities"])} for p in summary.get("wise_ft") or []]


def base_levels(lines: dict[int, dict], keys: list[str]) -> dict[str, float | None]:
    """Each curve's step-0 value: the base model before any update (the same for every run of a task)."""
    starts = [c for c in lines.values() if c["steps"] and c["steps"][0] == 0]
    return {k: next((c[k][0] for c in starts if c[k][0] is not None), None) for k in keys} if starts else {}


def common(config: dict, varying: list[str]) -> list[str]:
    """The settings every compared run shares, where they are not the defaults: "epochs=5", ..."""
    defaults = Scenario().model_dump(mode="json")
    return [f"{k}={fmt(v)}" for k, v in config.items() if k not in varying and k != "version" and v != defaults.get(k)]


def verdict(out_runs: list[dict], best: dict | None) -> str:
    """The answer to "which configuration learns the task with the least forgetting?", in one sentence that
    names its filter: the least mean drop among the runs that learnt the task (core/compare.py's best)."""
    done = [r for r in out_runs if r["frontier"]]
    if not done:
        return "No run has finished yet."
    if best is None:
        top = max(done, key=lambda r: r["summary"]["task_accuracy"]["final"])
        return (f"No run learnt the task (reached {pct(compare.LEARNED)} task accuracy); run {top['id']} "
                f"({top['label']}) came closest at {pct(top['summary']['task_accuracy']['final'])}.")
    r = next(r for r in done if r["id"] == best["id"])
    drop = percent(r["frontier"]["mean_drop"])
    return (f"Run {r['id']} ({r['label']}) learns the task ({pct(r['summary']['task_accuracy']['final'])}) with the "
            f"least forgetting among the runs that learnt it (reached {pct(compare.LEARNED)}): its general skills "
            f"fell {drop} point{'s' if abs(drop) != 1 else ''} on average.")
