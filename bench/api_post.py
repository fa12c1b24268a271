"""`POST /api/runs` latency: validate, insert the run row, enqueue (local line, or Celery send_task to Redis).

Run: python -m bench.api_post   (the distributed half needs PostgreSQL and Redis on 127.0.0.1)
Sequential requests from one keep-alive client to `forgetlab serve` in another process, with no
worker consuming (runs stay queued, so training does not compete for the CPU). Baseline in the same
run: GET /api/health, the framework's own floor. Also prints the web process's memory and whether
torch is mapped into it. Target: p95 <= 50 ms.
"""

from __future__ import annotations

import time

import httpx

from bench._lab import percentile, rss_mib, served_lab, services, torch_mapped

REQUESTS = 300
SCENARIO = {"task": "support-narrow", "method": "lora", "lr": 0.002, "epochs": 3, "mix_ratio": 0.2}


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def run_mode(name: str, env: dict) -> None:
    with served_lab(env=env, workers=0, wait_warm=False) as (url, pid), httpx.Client(base_url=url) as client:
        def post():
            assert client.post("api/runs", json=SCENARIO).status_code == 201

        def health():
            assert client.get("api/health").status_code == 200

        timed(post, 20), timed(health, 20)  # warm-up: connections, first template/DB use
        posts, floor = timed(post, REQUESTS), timed(health, REQUESTS)
        p95 = percentile(posts, 95)
        print(f"{name}: POST /api/runs p95 {p95 * 1000:.1f} ms, p50 {percentile(posts, 50) * 1000:.1f} ms "
              f"({REQUESTS} requests)   target <= 50 ms   {'OK' if p95 <= 0.05 else 'OVER'}")
        print(f"  baseline, GET /api/health: p95 {percentile(floor, 95) * 1000:.1f} ms, "
              f"p50 {percentile(floor, 50) * 1000:.1f} ms")
        print(f"  web process: {rss_mib(pid):.0f} MiB resident, torch mapped: {'YES' if torch_mapped(pid) else 'no'}")


def main() -> None:
    run_mode("embedded (SQLite, local line)", {})
    try:
        with services() as (pg, redis_url):
            run_mode("distributed (PostgreSQL, Celery send_task to Redis)",
                     {"DATABASE_URL": pg, "REDIS_URL": redis_url, "FORGETLAB_QUEUE": "bench-nobody"})
    except Exception as e:  # noqa: BLE001 - a bench prints what it could not measure
        print(f"distributed: not measured ({type(e).__name__}: {e})")


if __name__ == "__main__":
    main()
