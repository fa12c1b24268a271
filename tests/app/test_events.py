"""SSE: every point exactly once, in step order, across a dropped connection (embedded live channel).

A writer thread plays the worker: it stores metric points and samples as the worker's recorder
does, while the test reads the stream, drops it mid-run and reconnects with Last-Event-ID.
"""

import threading
import time

from forgetlab.core.live import status_message
from forgetlab.core.results import Sample
from forgetlab.core.store import runs
from tests.sse import read_sse

from .conftest import metrics_event, record

STEPS = list(range(0, 60, 2))


def play_run(sessions, run_id: int, delay: float) -> None:
    with sessions() as s:
        attempt = runs.claim(s, run_id=run_id, worker="test")
    for step in STEPS:
        record(sessions, run_id, metrics_event(step, knowledge=1 - step / 100))
        if step % 10 == 0:
            sample = Sample(capability="knowledge", prompt="p", expected="e", base="e", output="x", correct=False)
            with sessions() as s:
                runs.write_samples(s, run_id=run_id, step=step, samples=[sample.model_dump()])
        time.sleep(delay)
    with sessions() as s:
        runs.finish(s, run_id=run_id, status="succeeded", attempt=attempt, summary={"steps": STEPS[-1]})


def test_dropped_connection_loses_and_duplicates_nothing(client, sessions):
    run_id = client.post("/api/runs", json={"task_examples": 50}).json()["id"]
    writer = threading.Thread(target=play_run, args=(sessions, run_id, 0.03))
    writer.start()
    with client.stream("GET", f"/api/runs/{run_id}/events") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        first = read_sse(r, stop_after_points=8)
    last_id = [i for e, i, _ in first if e == "point"][-1]
    time.sleep(0.2)  # points keep landing while nobody listens
    with client.stream("GET", f"/api/runs/{run_id}/events", headers={"Last-Event-ID": str(last_id)}) as r:
        second = read_sse(r)
    writer.join()

    steps = [i for e, i, _ in first + second if e == "point"]
    assert steps == STEPS  # all of them, once each, in order
    assert all(d["step"] == i for e, i, d in first + second if e == "point")
    with sessions() as s:
        stored = dict(runs.points_after(s, run_id=run_id))
    assert all(d["values"] == stored[d["step"]] for e, _, d in first + second if e == "point")
    assert second[-2][0] == "status" and second[-2][2]["status"] == "succeeded" and second[-1][0] == "end"
    assert any(e == "samples" for e, _, _ in first + second)
    assert not client.app.state.hub.readers  # both viewers' subscriptions were released


def test_a_finished_run_replays_everything_then_ends(client, sessions):
    run_id = client.post("/api/runs", json={"task_examples": 50}).json()["id"]
    play_run(sessions, run_id, 0)
    with client.stream("GET", f"/api/runs/{run_id}/events") as r:
        events = read_sse(r)
    assert [i for e, i, _ in events if e == "point"] == STEPS
    with client.stream("GET", f"/api/runs/{run_id}/events?after=40") as r:
        assert [i for e, i, _ in read_sse(r) if e == "point"] == [s for s in STEPS if s > 40]


def test_many_viewers_each_get_every_point(client, sessions):
    run_id = client.post("/api/runs", json={"task_examples": 50}).json()["id"]
    results: list[list[int]] = []

    def view():
        with client.stream("GET", f"/api/runs/{run_id}/events") as r:
            results.append([i for e, i, _ in read_sse(r) if e == "point"])

    viewers = [threading.Thread(target=view) for _ in range(12)]
    for v in viewers:
        v.start()
    time.sleep(0.3)
    play_run(sessions, run_id, 0.01)
    for v in viewers:
        v.join(timeout=20)
    assert len(results) == 12 and all(r == STEPS for r in results)


def test_a_cancelled_queued_run_ends_its_stream(client, sessions):
    run_id = client.post("/api/runs", json={"task_examples": 50}).json()["id"]
    client.post(f"/api/runs/{run_id}/cancel")
    with client.stream("GET", f"/api/runs/{run_id}/events") as r:
        events = read_sse(r)
    with sessions() as s:
        assert events[-2][2] == status_message(runs.get_run(s, run_id=run_id))
    assert events[-2][2]["status"] == "cancelled"
