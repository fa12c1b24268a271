"""Submit -> first curve point after training began, as drawn in a real browser page (embedded mode).

Run: python -m bench.first_point   (needs /usr/bin/chromium)
- lab: the learner's path. On the builder with the break-it preset, click "Run it"; the clock stops when
  the run page has drawn its first point past step 0. Browser clock at both ends. Target <= 1 s.
- without a browser: POST /api/runs, then SSE until the first point past step 0 (the server's share).
- baseline, engine alone: train() in this process, from the call to its first metrics event past step 0:
  the floor no web stack can beat.
- baseline, cold process: a fresh interpreter importing torch and the engine and loading the base: what
  every run would pay first without the warm pool.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from playwright.sync_api import sync_playwright

from bench._lab import ROOT, served_lab, torch_mapped, wait_warm

REPEATS = 5
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def lab_latencies(query: str) -> tuple[list[dict], bool]:
    """Per run: seconds from the click to the run page's start, the point's arrival, and its drawing."""
    out = []
    with served_lab() as (url, pid), sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page()
        for _ in range(REPEATS):
            wait_warm(url)
            page.goto(url + query)
            page.wait_for_selector("#run-submit:enabled")
            started = page.evaluate("Date.now()")
            page.click("#run-submit")
            # Polled from here: wait_for_function compiles its predicate with eval, which the lab's CSP forbids.
            # The figure comes from the page's own timestamps, so the polling interval does not enter it.
            deadline = time.monotonic() + 60
            while not page.evaluate("!!(window.forgetlab && window.forgetlab.firstTrainedAt)"):
                if time.monotonic() > deadline:
                    raise TimeoutError("no trained point reached the page within 60 s")
                page.wait_for_timeout(20)
            marks = page.evaluate("[performance.timeOrigin, window.forgetlab.firstTrainedReceivedAt, "
                                  "window.forgetlab.firstTrainedAt]")
            out.append({k: (v - started) / 1000 for k, v in zip(("page", "received", "drawn"), marks)})
            page.wait_for_selector("#summary-headline", timeout=120_000)  # let it finish before the next
        no_torch = not torch_mapped(pid)
        browser.close()
    return out, no_torch


def sse_latencies(scenario: dict) -> list[float]:
    """The same path without a browser: POST, then read the SSE stream until a point past step 0."""
    import httpx

    out = []
    with served_lab() as (url, _), httpx.Client(base_url=url, timeout=60) as client:
        for _ in range(REPEATS):
            wait_warm(url)
            started = time.perf_counter()
            run_id = client.post("api/runs", json=scenario).json()["id"]
            with client.stream("GET", f"api/runs/{run_id}/events") as response:
                for line in response.iter_lines():
                    if line.startswith("id: ") and int(line[4:]) > 0:
                        out.append(time.perf_counter() - started)
                        break
            while client.get(f"api/runs/{run_id}").json()["status"] == "running":
                time.sleep(0.2)
    return out


def engine_latencies(overrides: dict) -> list[float]:
    from forgetlab.core.presets import preset_scenario
    from forgetlab.core.scenario import with_overrides
    from forgetlab.worker.embedded import warm_up
    from forgetlab.worker.engine.train import train

    warm_up()
    out = []
    for _ in range(REPEATS):
        started, first = time.perf_counter(), []

        def on_event(event, started=started, first=first):
            if event.type == "metrics" and event.step > 0 and not first:
                first.append(time.perf_counter() - started)
        train(with_overrides(preset_scenario("break-it"), overrides), on_event)
        out.append(first[0])
    return out


def cold_start() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from worker.embedded import warm_up; warm_up()"], cwd=ROOT, check=True,
                   capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    cold = cold_start()
    print(f"baseline, cold process (import torch + engine, load base): {cold:.3f} s: what the warm pool saves")
    from forgetlab.app.pages.forms import scenario_query
    from forgetlab.core.presets import preset_scenario
    from forgetlab.core.scenario import with_overrides

    cases = {"break-it": ("?preset=break-it", {}),
             "break-it, a point every 2 steps": (None, {"eval_every": 2})}
    for name, (query, overrides) in cases.items():
        if query is None:
            query = "?" + scenario_query(with_overrides(preset_scenario("break-it"), overrides))
        lab, no_torch = lab_latencies(query)
        sse = sse_latencies(with_overrides(preset_scenario("break-it"), overrides).model_dump(mode="json"))
        engine = engine_latencies(overrides)
        drawn = [r["drawn"] for r in lab]
        print(f"\n{name}: submit -> first trained point drawn, {REPEATS} runs: median {statistics.median(drawn):.3f} s, "
              f"max {max(drawn):.3f} s   target <= 1 s   {'OK' if max(drawn) <= 1 else 'OVER'}")
        print(f"  of which: run page started {statistics.median(r['page'] for r in lab):.3f} s, point arrived "
              f"{statistics.median(r['received'] for r in lab):.3f} s (medians)")
        print(f"  same path without a browser (POST, then SSE until that point): median {statistics.median(sse):.3f} s, "
              f"max {max(sse):.3f} s")
        print(f"  baseline, engine alone (train() call to its first trained metrics event): "
              f"median {statistics.median(engine):.3f} s")
        print(f"  web process has torch mapped: {'no' if no_torch else 'YES'}")


if __name__ == "__main__":
    main()
