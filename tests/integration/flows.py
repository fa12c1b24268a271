"""End-to-end checks shared by the embedded and the distributed lab: same API, same guarantees."""

import time

from markupsafe import escape

from tests.sse import read_sse

from .conftest import LONG, TINY, wait_for


def run(client, run_id: int) -> dict:
    return client.get(f"/api/runs/{run_id}").json()


def check_run_survives_a_dropped_stream(client) -> int:
    """A real run; its SSE connection drops mid-run; the reconnect replays from Last-Event-ID."""
    run_id = client.post("/api/runs", json=TINY).json()["id"]
    with client.stream("GET", f"/api/runs/{run_id}/events") as r:
        first = read_sse(r, stop_after_points=3)
    assert first[-1][0] == "point"  # dropped before the end
    last_id = first[-1][1]
    with client.stream("GET", f"/api/runs/{run_id}/events", headers={"Last-Event-ID": str(last_id)}) as r:
        second = read_sse(r)
    received = [i for e, i, _ in first + second if e == "point"]
    stored = client.get(f"/api/runs/{run_id}/metrics").json()["points"]
    assert received == [p["step"] for p in stored] == list(range(9))  # steps 0..8, once each, in order
    assert second[-2][2]["status"] == "succeeded" and second[-1][0] == "end"
    done = run(client, run_id)
    assert done["summary"]["steps"] == 8 and set(done["summary"]["forgetting"]) >= {"knowledge", "safety"}
    assert done["info"]["parameters"] > 0 and done["attempts"] == 1
    page = client.get(f"/runs/{run_id}").text
    assert 'id="summary-headline"' in page and "Meanwhile the task itself went from" in page
    samples = client.get(f"/api/runs/{run_id}/samples").json()
    assert samples["step"] == 8 and {"base", "output", "expected"} <= set(samples["samples"][0])
    return run_id


def start_long_run(client) -> int:
    run_id = client.post("/api/runs", json=LONG).json()["id"]
    wait_for(lambda: run(client, run_id)["step"] >= 20, 60, what="the long run to reach step 20")
    return run_id


def check_cancel(client) -> None:
    """Cancel stops a running run within two seconds, and a queued one never starts."""
    running = start_long_run(client)
    waiting = client.post("/api/runs", json=TINY).json()["id"]
    assert run(client, waiting)["status"] == "queued"  # one run at a time
    assert client.post(f"/api/runs/{waiting}/cancel").json()["status"] == "cancelled"
    started = time.monotonic()
    client.post(f"/api/runs/{running}/cancel")
    wait_for(lambda: run(client, running)["status"] == "cancelled", 2.0, what="the running run to stop")
    elapsed = time.monotonic() - started
    stopped_at = run(client, running)["step"]
    time.sleep(1.0)
    assert run(client, running)["step"] == stopped_at < 8 * 60  # no more points after cancel
    assert run(client, waiting)["attempts"] == 0  # the cancelled queued run never ran
    print(f"cancel took {elapsed:.2f} s")


def check_sweep(client) -> list[dict]:
    """A sweep runs every grid point; the same sweep again reuses them all (no training); the comparison
    and the exports read them. Returns the first sweep's runs."""
    spec = {"base": {**TINY, "lr": 2e-3}, "grid": {"seed": [0, 1]}}  # an lr no other test uses: nothing cached
    created = client.post("/api/sweeps", json=spec).json()
    assert created["size"] == 2 and len(created["new_runs"]) == 2
    wait_for(lambda: client.get(created["api"]).json()["finished"], 60, what="the sweep to finish")
    assert client.get(created["api"]).json()["progress"]["succeeded"] == 2
    again = client.post("/api/sweeps", json=spec).json()
    assert again["reused"] == 2 and again["new_runs"] == []
    assert client.get(again["api"]).json()["finished"]  # done the moment it was made
    data = client.get(f"/api/compare?sweep={again['id']}").json()
    assert data["varying"] == ["seed"] and [r["curve"]["steps"] for r in data["runs"]] == [list(range(9))] * 2
    metrics = client.get(f"/api/export/metrics.csv?sweep={created['id']}").text
    assert metrics.count("\n") == 1 + 2 * 9  # a header, then every step of both runs
    return [run(client, run_id) for run_id in created["new_runs"]]


def check_ask(client) -> None:
    """A question to a finished run's model goes to a worker, which answers with the base's and the fine-tuned
    model's greedy answers; a word outside the vocabulary fails with the word named; the page shows both."""
    run_id = client.post("/api/runs", json=TINY).json()["id"]
    wait_for(lambda: run(client, run_id)["status"] == "succeeded", 60, what="the run")
    samples = client.get(f"/api/runs/{run_id}/samples").json()["samples"]
    known = next(s for s in samples if s["base"] == s["expected"])  # the base answers it right, to its end
    for prompt in (known["prompt"], "zebra"):
        asked = client.post(f"/api/runs/{run_id}/asks", json={"prompt": prompt})
        assert asked.status_code == 202 and asked.json()["status"] == "queued"

    def answered() -> list[dict]:
        return [a for a in client.get(f"/api/runs/{run_id}/asks").json() if a["status"] != "queued"]

    wait_for(lambda: len(answered()) == 2, 60, what="the answers")
    good, bad = answered()
    assert good["status"] == "answered", good["error"]
    assert good["base_answer"] == known["expected"] and isinstance(good["tuned_answer"], str)
    assert bad["status"] == "failed" and "no token for: zebra" in bad["error"]
    box = client.get(f"/runs/{run_id}/asks", headers={"HX-Request": "true"}).text
    assert str(escape(known["prompt"])) in box and "no token for: zebra" in box and "every 1s" not in box  # done


GROUPED = {**TINY, "method": "lora", "lr": 2.5e-3}  # an lr no other test uses: nothing cached


def check_grouped_sweep(client, seeds: int, base: dict = GROUPED, cancel: int | None = None,
                        groups: int = 1) -> list[dict]:
    """A sweep of LoRA runs trains as `groups` equal groups of consecutive runs, one per worker process
    (docs/grouped-training.md), and every run keeps its own live stream of its own curve. `cancel`: the index of a
    member cancelled once it reached step 5; the others go on. Returns the runs, in the sweep's order."""
    created = client.post("/api/sweeps", json={"base": base, "grid": {"seed": list(range(seeds))}}).json()
    ids = created["new_runs"]
    assert len(ids) == seeds
    if cancel is not None:
        wait_for(lambda: run(client, ids[cancel])["step"] >= 5, 120, what="the group to reach step 5")
        client.post(f"/api/runs/{ids[cancel]}/cancel")
    wait_for(lambda: client.get(created["api"]).json()["finished"], 180, what="the grouped sweep to finish")
    runs = [run(client, run_id) for run_id in ids]
    size = seeds // groups
    # Consecutive runs, in whichever order the process claimed them (a Celery child may take its run's
    # neighbour first).
    assert [sorted(r["info"].get("group")) for r in runs] == [ids[i // size * size:][:size] for i in range(seeds)]
    finals = []
    for index, r in enumerate(runs):
        with client.stream("GET", f"/api/runs/{r['id']}/events") as response:
            events = read_sse(response)
        points = [(i, data) for e, i, data in events if e == "point"]
        stored = client.get(f"/api/runs/{r['id']}/metrics").json()["points"]
        assert [i for i, _ in points] == [p["step"] for p in stored] and points[0][0] == 0
        assert events[-1][0] == "end"
        assert f"trained in a group of {size}" in client.get(f"/runs/{r['id']}").text
        if index == cancel:
            assert r["status"] == "cancelled" and r["step"] < r["total_steps"]
        else:
            assert r["status"] == "succeeded" and points[-1][0] == r["total_steps"] == r["summary"]["steps"]
            finals.append(points[-1][1]["values"]["val_loss"])
    assert len(set(finals)) == len(finals)  # each stream carries its own run's curve
    return runs
