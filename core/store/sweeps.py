"""Data functions over sweeps: store a grid of scenarios as one sweep, reuse cached results, report progress.

The cache: a grid point whose scenario has the same canonical hash (same config and seed) as a
stored succeeded run reuses that run instead of training again, and is marked `reused`. Two grid
points with the same scenario in one sweep share one new run. Torch-free, like core.store.runs.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import compare, seeds
from ..scenario import Scenario
from . import runs
from .models import TERMINAL, Run, Sweep, SweepRun, utcnow


def axes_of(spec: dict, scenarios: list[Scenario]) -> dict[str, list]:
    """Each grid field and its values as validated ("1e-4" becomes 0.0001), in the grid's order."""
    dumped = [s.model_dump(mode="json") for s in scenarios]
    axes: dict[str, list] = {}
    for name in spec.get("grid", {}):
        axes[name] = []
        for d in dumped:
            if d[name] not in axes[name]:
                axes[name].append(d[name])
    return axes


def create_sweep(session: Session, *, spec: dict, scenarios: list[Scenario], queue: str,
                 preset_of: Callable[[Scenario], str | None], reuse: bool = True, owner_id: int | None = None,
                 reuse_where=None) -> tuple[Sweep, list[Run]]:
    """The sweep, its grid points and the new runs to enqueue, in one transaction. Only runs `reuse_where`
    admits (those the owner may see: core/store/access.py) are reused; new runs belong to the owner."""
    sweep = Sweep(spec=spec, axes=axes_of(spec, scenarios), size=len(scenarios), created_at=utcnow(),
                  owner_id=owner_id)
    session.add(sweep)
    session.flush()
    hashes = [s.canonical_hash() for s in scenarios]
    cached = runs.cached_runs(session, hashes=hashes, queue=queue, where=reuse_where) if reuse else {}
    fresh: dict[str, Run] = {}
    for position, (scenario, key) in enumerate(zip(scenarios, hashes)):
        run = cached.get(key)
        if run is None and key not in fresh:
            fresh[key] = runs.new_run(scenario=scenario, queue=queue, preset=preset_of(scenario), sweep_id=sweep.id,
                                      owner_id=owner_id)
            session.add(fresh[key])
            session.flush()  # gives the run its id
        session.add(SweepRun(sweep_id=sweep.id, position=position, run_id=(run or fresh[key]).id,
                             reused=run is not None))
    session.commit()
    return sweep, list(fresh.values())


def get_sweep(session: Session, *, sweep_id: int, where=None) -> Sweep | None:
    """The sweep (None when `where`, a visibility rule of core/store/access.py, leaves it out)."""
    sweep = session.get(Sweep, sweep_id, populate_existing=True)
    if sweep is None or where is None:
        return sweep
    return sweep if session.scalar(select(Sweep.id).where(Sweep.id == sweep_id, where)) is not None else None


def members(session: Session, *, sweep_id: int) -> list[tuple[SweepRun, Run]]:
    """Grid points in grid order, each with its run (runs re-read: their status moves on)."""
    rows = session.execute(select(SweepRun, Run).join(Run, Run.id == SweepRun.run_id)
                           .where(SweepRun.sweep_id == sweep_id).order_by(SweepRun.position)
                           .execution_options(populate_existing=True)).all()
    return [(point, run) for point, run in rows]


def unique_runs(rows: list[tuple[SweepRun, Run]]) -> list[Run]:
    seen: dict[int, Run] = {}
    for _, run in rows:
        seen.setdefault(run.id, run)
    return list(seen.values())


def progress(rows: list[tuple[SweepRun, Run]]) -> dict:
    """Counts over grid points: by status, reused, and whether every point has ended."""
    counts = Counter(run.status for _, run in rows)
    done = sum(counts[s] for s in TERMINAL)
    return {"size": len(rows), "done": done, "finished": done == len(rows), "reused": sum(p.reused for p, _ in rows),
            **{s: counts[s] for s in ("queued", "running", "succeeded", "failed", "cancelled")}}


def list_sweeps(session: Session, *, limit: int = 50, where=None) -> list[tuple[Sweep, dict]]:
    """Newest first, each with status counts over its grid points (one grouped query for all); `where`
    limits them to what the caller may see (core/store/access.py)."""
    query = select(Sweep).order_by(Sweep.id.desc()).limit(limit)
    sweeps = list(session.scalars(query.where(where) if where is not None else query))
    if not sweeps:
        return []
    rows = session.execute(select(SweepRun.sweep_id, Run.status, func.count())
                           .join(Run, Run.id == SweepRun.run_id)
                           .where(SweepRun.sweep_id.in_([s.id for s in sweeps]))
                           .group_by(SweepRun.sweep_id, Run.status)).all()
    counts: dict[int, Counter] = {s.id: Counter() for s in sweeps}
    for sweep_id, status, n in rows:
        counts[sweep_id][status] += n
    return [(s, {"size": s.size, "done": sum(counts[s.id][t] for t in TERMINAL), **counts[s.id]}) for s in sweeps]


def title(sweep: Sweep) -> str:
    """"2 method × 3 lr on break-it": what varies, and over what."""
    sizes = " × ".join(f"{len(v)} {k}" for k, v in sweep.axes.items())
    spec = sweep.spec
    over = f"preset {spec['preset']}" if spec.get("preset") else "a custom scenario" if spec.get("base") else "the defaults"
    return f"{sizes} on {over}"


def view(session: Session, sweep: Sweep) -> dict:
    """What the sweep page and GET /api/sweeps/{id} show: each grid point's state and result, and the pick."""
    rows = members(session, sweep_id=sweep.id)
    finished = [{"id": r.id, "config": r.config, "summary": r.summary}
                for r in unique_runs(rows) if r.status == "succeeded" and r.summary]
    best = compare.best(finished)
    best_group, seeded = None, seeds.seeded(seeds.group([{"config": r.config} for r in unique_runs(rows)]))
    if seeded:
        best = None  # seeds are not settings: the pick is a setting, on its seed means (core/seeds.py)
        best_group = _best_setting(seeds.group(finished), sweep.axes)
    points = []
    for point, run in rows:
        s = run.summary if run.status == "succeeded" else None
        points.append({"position": point.position, "run_id": run.id, "reused": point.reused, "status": run.status,
                       "step": run.step, "total_steps": run.total_steps, "run": run,
                       "values": {f: run.config.get(f) for f in sweep.axes},
                       "task_accuracy": s["task_accuracy"]["final"] if s else None,
                       "mean_drop": compare.mean_drop(s) if s else None})
    state = progress(rows)
    return {"id": sweep.id, "title": title(sweep), "created_at": sweep.created_at, "spec": sweep.spec,
            "axes": sweep.axes, "size": sweep.size, "progress": state, "finished": state["finished"],
            "best": best["id"] if best else None, "best_group": best_group, "seeded": seeded, "url": f"/sweeps/{sweep.id}",
            "compare": f"/compare?sweep={sweep.id}", "points": points}


def _best_setting(groups: list[list[dict]], axes: dict) -> dict | None:
    """The setting whose seed means learn the task with the least forgetting: its runs, seed count, label
    (its grid values but the seed) and the 90% intervals of its task accuracy and mean drop."""
    summaries = [seeds.summarize(g) for g in groups]
    index = seeds.best(summaries)
    if index is None:
        return None
    config, m = groups[index][0]["config"], summaries[index]["metrics"]
    label = " · ".join(f"{f}={config.get(f):g}" if isinstance(config.get(f), float) else f"{f}={config.get(f)}"
                       for f in axes if f not in seeds.SEED_FIELDS) or "these settings"
    return {"runs": [r["id"] for r in groups[index]], "n": summaries[index]["n"], "label": label,
            "task_accuracy": m["task accuracy"], "mean_drop": m["mean drop"]}
