"""A comparison of 2-8 runs: what differs, results against a baseline run, curves, the frontier, WiSE-FT.

Built from stored rows only (config, summary, metric points), so the page, the API and the exports
agree; the arithmetic is core/compare.py's (pure, torch-free). A run's colour is its position
here, and every chart and table of the page uses that same colour.

Runs that differ only in their seed are one setting measured several times (core/seeds.py): when
any setting has more than one seed, the comparison is of settings. Each group gets one colour (its
runs share it), a mean curve with a 90% band, each metric's mean and interval with the seed count,
one point with error bars on the scatter, and the pick is a group, chosen on its seed means: a
single seed is never named the winner.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

import forgetlab.core.compare as compare  # torch-free; a module name, so local names do not shadow it
from forgetlab.core import seeds
from forgetlab.core.errors import Invalid, NotFound
from forgetlab.core.results import curve_keys
from forgetlab.core.scenario import Scenario
from forgetlab.core.store import runs as run_data
from forgetlab.core.store import sweeps
from forgetlab.core.store.models import MetricPoint, Run

from ..services import suites as suite_service
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
        grouped = seeds.group([_item(r) for r in chosen])
        if seeds.seeded(grouped):
            kept = pick_settings(chosen, grouped)
            return kept, (f"This sweep has {len(chosen)} runs; the charts compare {len(kept)} of them, whole settings "
                          "with all their seeds: the setting that learns the task with the least forgetting on its "
                          "seed mean, then those that forgot least. Pick others on the sweep's page.")
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


def pick_settings(candidates: list[Run], grouped: list[list[dict]]) -> list[Run]:
    """At most MAX_RUNS runs of a sweep with seeds, whole settings at a time (a setting's mean needs all its
    seeds): the pick on seed means first, then the least mean forgetting, then those without a result yet;
    back in grid order. A single setting of more seeds than fit keeps its first MAX_RUNS."""
    done = {r.id for r in candidates if r.status == "succeeded" and r.summary}
    scored = [(seeds.summarize([r for r in g if r["id"] in done]), g) for g in grouped
              if any(r["id"] in done for r in g)]
    first = seeds.best([s for s, _ in scored])
    order = ([scored[first][1]] if first is not None else []) + \
        [g for _, g in sorted(scored, key=lambda sg: sg[0]["metrics"]["mean drop"]["mean"])] + grouped
    kept: list[int] = []
    for g in order:
        ids = [r["id"] for r in g]
        if ids[0] not in kept and len(kept) + len(ids) <= MAX_RUNS:
            kept += ids
    kept = kept or [r["id"] for r in order[0]][:MAX_RUNS]
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


def keys_of(session: Session, chosen: list[Run]) -> list[str]:
    """The accuracy curves of these runs' tiers: one per capability (their own suites too), then the task."""
    return curve_keys([c.name for c in suite_service.capabilities(session, [r.config for r in chosen])])


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
    keys = keys_of(session, chosen)
    lines = curves(session, [r.id for r in chosen], keys) if with_curves else {}
    grouped = seeds.group([_item(r) for r in chosen])
    by_seed = seeds.seeded(grouped)
    if by_seed:  # the seeds of one setting share its colour, and the pick is a setting: never one run
        color_of = {r["id"]: PALETTE[i % len(PALETTE)] for i, g in enumerate(grouped) for r in g}
        groups = settings_groups(grouped, {i["id"] for i in finished}, varying, color_of, lines, keys)
        best = None
    else:
        color_of = {run.id: PALETTE[index % len(PALETTE)] for index, run in enumerate(chosen)}
        groups = []
    out_runs = [{"id": run.id, "status": run.status, "color": color_of[run.id],
                 "label": label(run.config, varying) or f"run {run.id}",
                 "varying": {f: run.config.get(f) for f in varying}, "config": run.config, "summary": run.summary,
                 "deltas": deltas.get(run.id), "frontier": frontier.get(run.id),
                 "wise_ft": wise(run.summary) if run.id in frontier else [], "curve": lines.get(run.id)}
                for index, run in enumerate(chosen)]
    best_group = seeds.best([g["summary"] for g in groups if g["summary"]]) if len(groups) > 1 else None
    if best_group is not None:  # an index among the groups with a result: back to an index among all
        best_group = [i for i, g in enumerate(groups) if g["summary"]][best_group]
    return {"runs": out_runs, "varying": varying, "common": common(chosen[0].config, varying),
            "baseline": baseline, "best": best["id"] if best else None, "learned": compare.LEARNED,
            "metrics": list(compare.headline(finished[0]["summary"])) if finished else [],
            "base": base_levels(lines, keys),
            "seeded": by_seed, "groups": groups, "best_group": best_group,
            "verdict": group_verdict(groups, best_group) if by_seed else verdict(out_runs, best)}


def settings_groups(grouped: list[list[dict]], finished: set[int], varying: list[str], color_of: dict, lines: dict,
                    keys: list[str]) -> list[dict]:
    """Each setting's runs as one: its seeds, each metric's mean and 90% interval over the finished ones
    (the scatter's point and error bars too), and its mean curve with a band."""
    fields = [f for f in varying if f not in seeds.SEED_FIELDS]
    out = []
    for index, runs in enumerate(grouped):
        done = [r for r in runs if r["id"] in finished]
        summary = seeds.summarize(done) if done else None
        drawn = [lines[r["id"]] for r in runs if r["id"] in lines]
        out.append({"index": index, "ids": [r["id"] for r in runs], "seeds": [r["config"].get("seed") for r in runs],
                    "color": color_of[runs[0]["id"]], "label": label(runs[0]["config"], fields) or f"setting {index + 1}",
                    "summary": summary, "curve": seeds.mean_curve(drawn, keys) if drawn else None})
    return out


def group_verdict(groups: list[dict], best_group: int | None) -> str:
    """The answer across seeds: the setting whose seed means learn the task with the least forgetting, with
    the intervals, and whether the seeds could explain its lead."""
    done = [g for g in groups if g["summary"]]
    if not done:
        return "No run has finished yet."
    if len(groups) == 1:
        m, n = done[0]["summary"]["metrics"], done[0]["summary"]["n"]
        task = f"task accuracy {_span(m['task accuracy'])}, " if "task accuracy" in m else ""  # external: none
        return (f"These runs differ only in their seed ({n} finished): {task}"
                f"mean drop {_span(m['mean drop'], points=True)}. A seed is not a setting to pick.")
    if best_group is None:
        return (f"No setting learnt the task on its seed mean (reached {compare.LEARNED:.0%} task accuracy); "
                "a single lucky seed does not count.")
    g = groups[best_group]
    m = g["summary"]["metrics"]
    others = [o for o in done if o is not g]
    clear = all(seeds.separated(g["summary"], o["summary"]) for o in others)
    return (f"{g['label']} ({g['summary']['n']} seed{'s' if g['summary']['n'] != 1 else ''}) learns the task "
            f"({_span(m['task accuracy'])}) with the least forgetting on the seed mean: mean drop "
            f"{_span(m['mean drop'], points=True)}. "
            + ("Its interval clears every other setting's." if clear else
               "Its interval overlaps another setting's: more seeds would tell them apart."))


def _span(value: dict, points: bool = False) -> str:
    """A mean and its 90% interval: "92% [88, 96]" (accuracy) or "11 pts [9, 13]" (a drop)."""
    mean = f"{value['mean'] * 100:.0f}" + (" pts" if points else "%")
    return mean if value["lo"] is None else f"{mean} [{value['lo'] * 100:.0f}, {value['hi'] * 100:.0f}]"


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
    if not done and any(r["summary"] for r in out_runs if r["status"] == "succeeded"):
        return ("No finished run measured a task of the lab's (a run trained outside the lab measures the general "
                "skills only): compare their curves and the table.")
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
