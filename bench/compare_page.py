"""Server time of the comparison page for 8 finished runs (target <= 300 ms), on SQLite and PostgreSQL.

Run: python -m bench.compare_page   (the PostgreSQL half needs it on 127.0.0.1)
In-process requests (no network) to the app over a database holding 8 finished runs, their metric points
written the way a worker writes them. Two sizes: the default scenario's curves (8 points per run) and
dense ones (a point at every one of 160 steps). Baselines in the same run: the run page of one of those
runs, and GET /api/health, the framework's own floor. Medians and p95 of REPEATS requests each.
"""

from __future__ import annotations

import tempfile
import time

from fastapi.testclient import TestClient

from bench._lab import percentile, services
from forgetlab.core.live import NullPublisher
from forgetlab.core.results import Metrics, Summary
from forgetlab.core.scenario import Scenario
from forgetlab.core.settings import Settings
from forgetlab.core.store import runs
from forgetlab.core.store.db import migrate, session_factory
from forgetlab.core.tiers.synthetic.world import CAPABILITIES
from forgetlab.worker.recorder import Recorder

REPEATS = 40
CONFIGS = [{"method": m, "lr": lr, "mix_ratio": mix} for m in ("full", "lora") for lr in (1e-4, 1e-3)
           for mix in (0.0, 0.2)]


def point(step: int, total: int, drop: float) -> Metrics:
    t = step / total
    caps = {c: {"accuracy": 1.0 - drop * t * (i + 1) / 5, "nll": 0.1 + t} for i, c in enumerate(CAPABILITIES)}
    return Metrics(step=step, epoch=t * 3, train_loss=1.0 / (step + 1), val_loss=1.0, capabilities=caps,
                   task={"name": "support-narrow", "accuracy": t, "nll": 2 - t}, format_rigidity=t / 2,
                   refusal=1 - t / 3, over_refusal=0.0, lr=1e-3, seconds=step / 20)


def populate(url: str, steps: list[int]) -> list[int]:
    sessions = session_factory(url)
    ids = []
    for i, config in enumerate(CONFIGS):
        drop = 0.05 + 0.08 * i
        with sessions() as session:
            run = runs.create_run(session, scenario=Scenario(**config), queue="cpu")
        record = Recorder(run.id, sessions, NullPublisher())
        for step in steps:
            record(point(step, steps[-1], drop))
        summary = {"baseline": {c: 1.0 for c in CAPABILITIES}, "final": {c: 1 - drop for c in CAPABILITIES},
                   "forgetting": {c: drop for c in CAPABILITIES}, "max_drop": {c: drop for c in CAPABILITIES},
                   "retention": {c: 100 * (1 - drop) for c in CAPABILITIES}, "bwt": -drop,
                   "task_accuracy": {"baseline": 0.0, "final": 1.0}, "task_gain": 1.0,
                   "wise_ft": [{"alpha": a, "capabilities": {c: 1 - drop * a for c in CAPABILITIES}, "task": a}
                               for a in (0, 0.25, 0.5, 0.75, 1)] if i % 2 else None,
                   "format_rigidity": 0.1, "refusal": 0.9, "over_refusal": 0.0, "steps": steps[-1], "seconds": 4.0,
                   "setup_seconds": 0.5, "eval_seconds": 0.5, "train_seconds": 3.0, "early_stopped": False}
        summary = Summary.model_validate(summary).model_dump(mode="json")
        with sessions() as session:
            runs.claim(session, run_id=run.id, worker="bench:0")
            runs.finish(session, run_id=run.id, status="succeeded", summary=summary)
        ids.append(run.id)
    return ids


def timed(client: TestClient, path: str) -> list[float]:
    out = []
    for _ in range(REPEATS + 3):
        started = time.perf_counter()
        assert client.get(path).status_code == 200
        out.append(time.perf_counter() - started)
    return out[3:]  # the first requests compile templates and warm the pool


def report(name: str, times: list[float], target: float | None = None) -> None:
    p95 = percentile(times, 95)
    verdict = f"   target <= {target * 1000:.0f} ms   {'OK' if p95 <= target else 'OVER'}" if target else ""
    print(f"  {name}: median {percentile(times, 50) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms{verdict}")


def measure(label: str, settings: Settings, dense: bool) -> None:
    from forgetlab.app.main import create_app

    steps = list(range(0, 161)) if dense else [0, 5, 30, 60, 90, 120, 150, 160]
    ids = populate(settings.sqlalchemy_url, steps)
    with TestClient(create_app(settings)) as client:
        print(f"{label}, 8 finished runs, {len(steps)} curve points each:")
        report("GET /compare?runs=...", timed(client, "/compare?runs=" + ",".join(map(str, ids))), 0.3)
        report("GET /api/compare?runs=...", timed(client, "/api/compare?runs=" + ",".join(map(str, ids))))
        report(f"baseline, the run page GET /runs/{ids[0]}", timed(client, f"/runs/{ids[0]}"))
        report("baseline, GET /api/health", timed(client, "/api/health"))


def main() -> None:
    for dense in (False, True):
        with tempfile.TemporaryDirectory() as data:
            settings = Settings(data_dir=data, workers=0, database_url=None, redis_url=None)
            migrate(settings.sqlalchemy_url)
            measure("SQLite", settings, dense)
    try:
        with services() as (pg, _):
            for dense in (False, True):
                measure("PostgreSQL", Settings(database_url=pg, redis_url=None, workers=0), dense)
    except Exception as e:  # noqa: BLE001 - a bench prints what it could not measure
        print(f"PostgreSQL: not measured ({type(e).__name__}: {e})")


if __name__ == "__main__":
    main()
