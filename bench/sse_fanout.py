"""100 concurrent SSE viewers of one running run: delay from a point's DB write to its delivery.

Run: python -m bench.sse_fanout   (the distributed half needs PostgreSQL and Redis on 127.0.0.1)
A writer thread plays the worker: it claims the run, then every 100 ms commits a point and
publishes it exactly as worker.recorder.Recorder does (DB batch, then the live channel), stamping each
point with the time just before its write. Viewers are asyncio HTTP streams in this process; the lab is `forgetlab serve` in
another. Baseline: the same with a single viewer, in the same run. Target: p95 <= 250 ms at 100 viewers.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time

import httpx

from bench._lab import percentile, served_lab, services
from forgetlab.core.live import Point, Status, get_publisher
from forgetlab.core.settings import Settings
from forgetlab.core.store import runs
from forgetlab.core.store.db import session_factory

POINTS = 40
INTERVAL = 0.1


async def view(url: str, run_id: int, delays: list[float], ready: asyncio.Event | None = None) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        async with client.stream("GET", f"{url}api/runs/{run_id}/events?after=0") as response:
            event = None
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                    if event == "status" and ready is not None:
                        ready.set()  # connected and replayed: now live
                elif line.startswith("data: ") and event == "point":
                    written = json.loads(line[6:])["values"]["bench.written_at"]
                    delays.append(time.time() - written)
                elif event == "end":
                    return


def write_points(settings: Settings, run_id: int) -> None:
    """What worker.recorder.Recorder does per metrics event (DB batch, then live), plus a timestamp value."""
    sessions = session_factory(settings.sqlalchemy_url)
    publisher = get_publisher(settings)
    with sessions() as s:
        attempt = runs.claim(s, run_id=run_id, worker="bench")
        for step in range(1, POINTS + 1):
            time.sleep(INTERVAL)
            values = {"bench.written_at": time.time(), "cap.knowledge.accuracy": 0.5, "task.accuracy": 0.5}
            runs.write_points(s, run_id=run_id, step=step, values=values)
            publisher.publish(run_id, Point(step, values))
        if runs.finish(s, run_id=run_id, status="succeeded", attempt=attempt):
            publisher.publish(run_id, Status.of(runs.get_run(s, run_id=run_id)))


async def measure(url: str, settings: Settings, viewers: int) -> list[float]:
    import urllib.request

    request = urllib.request.Request(url + "api/runs", data=b'{"task_examples": 50}',
                                     headers={"content-type": "application/json"})
    run_id = json.loads(urllib.request.urlopen(request).read())["id"]
    with session_factory(settings.sqlalchemy_url)() as s:  # step 0, so viewers can start after it
        runs.write_points(s, run_id=run_id, step=0, values={"bench.written_at": time.time()})
    delays: list[float] = []
    readies = [asyncio.Event() for _ in range(viewers)]
    tasks = [asyncio.create_task(view(url, run_id, delays, ready)) for ready in readies]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 60)
    writer = threading.Thread(target=write_points, args=(settings, run_id))
    writer.start()
    await asyncio.wait_for(asyncio.gather(*tasks), 120)
    writer.join()
    return delays


def run_mode(name: str, env: dict, settings: Settings, data_dir: str | None = None) -> None:
    with served_lab(env=env, workers=0, wait_warm=False, data_dir=data_dir) as (url, _):
        base = asyncio.run(measure(url, settings, 1))
        many = asyncio.run(measure(url, settings, 100))
    p95 = percentile(many, 95)
    print(f"{name}: 100 viewers p95 {p95 * 1000:.0f} ms, p50 {percentile(many, 50) * 1000:.0f} ms, "
          f"max {max(many) * 1000:.0f} ms ({len(many)} deliveries)   target <= 250 ms   "
          f"{'OK' if p95 <= 0.25 else 'OVER'}")
    print(f"  baseline, 1 viewer: p95 {percentile(base, 95) * 1000:.0f} ms, p50 {percentile(base, 50) * 1000:.0f} ms")


def main() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as data:
        # Embedded: the lab's SQLite file is in its own data dir; point our writer at the same file.
        env = {}
        settings = Settings(data_dir=data, database_url=None, redis_url=None)
        from forgetlab.core.store.db import migrate

        migrate(settings.sqlalchemy_url)
        run_mode("embedded (SQLite, DB polling)", env, settings, data_dir=data)
    try:
        with services() as (pg, redis_url):
            env = {"DATABASE_URL": pg, "REDIS_URL": redis_url, "FORGETLAB_QUEUE": "bench-nobody"}
            run_mode("distributed (PostgreSQL, Redis Streams)", env,
                     Settings(database_url=pg, redis_url=redis_url))
    except Exception as e:  # noqa: BLE001 - a bench prints what it could not measure
        print(f"distributed: not measured ({type(e).__name__}: {e})")


if __name__ == "__main__":
    main()
