"""Flood the API and report how its limits held: rate limits (429 + Retry-After), body limits (413), no 5xx.

    python -m bench.flood                      # starts its own embedded lab (workers=0) on a free port
    python -m bench.flood --url http://host:8000 --token TOKEN --requests 2000 --seconds 30

Bounded in count (--requests) and time (--seconds), from --clients threads. Three floods, one after the
other: POST /api/runs with a small valid scenario (the write bucket), GET /api/runs (the read bucket),
and POST /api/runs with a 10 MB body (refused by its Content-Length, never read). Prints one line per
flood: requests sent, answers by status, runs created, the Retry-After seen, and the rate accepted.
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def own_lab() -> tuple[str, subprocess.Popen]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(FORGETLAB_DATA_DIR=tempfile.mkdtemp(prefix="forgetlab-flood-"), FORGETLAB_WORKERS="0")
    proc = subprocess.Popen([sys.executable, "-m", "forgetlab.core.cli", "serve", "--port", str(port), "--log-level", "error"],
                            cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(url + "/api/health", timeout=1).status_code == 200:
                return url, proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the lab did not start")


def flood(url: str, headers: dict, method: str, path: str, body: bytes | None, requests: int, seconds: float,
          clients: int) -> dict:
    statuses: collections.Counter = collections.Counter()
    retry_after: set[str] = set()
    lock, sent = threading.Lock(), [0]
    deadline = time.monotonic() + seconds

    def one_client():
        with httpx.Client(base_url=url, headers={**headers, "Content-Type": "application/json"}, timeout=30) as c:
            while time.monotonic() < deadline:
                with lock:
                    if sent[0] >= requests:
                        return
                    sent[0] += 1
                try:
                    r = c.request(method, path, content=body)
                    key = r.status_code
                    if "retry-after" in r.headers:
                        retry_after.add(r.headers["retry-after"])
                except httpx.HTTPError as e:
                    key = type(e).__name__
                with lock:
                    statuses[key] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=one_client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    ok = sum(n for s, n in statuses.items() if isinstance(s, int) and 200 <= s < 300)
    return {"sent": sent[0], "seconds": round(elapsed, 2), "statuses": dict(statuses), "accepted_per_s": round(ok / elapsed, 2),
            "retry_after": sorted(retry_after, key=int)[:3], "server_errors": sum(
                n for s, n in statuses.items() if isinstance(s, int) and s >= 500)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", help="a running lab (default: start an embedded one with workers=0)")
    p.add_argument("--token", help="an API token (a distributed or public lab asks who is calling)")
    p.add_argument("--requests", type=int, default=600, help="at most this many requests per flood")
    p.add_argument("--seconds", type=float, default=20, help="at most this long per flood")
    p.add_argument("--clients", type=int, default=8, help="concurrent connections")
    args = p.parse_args()
    proc = None
    url = args.url
    if url is None:
        url, proc = own_lab()
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    try:
        small = b'{"task_examples": 50, "epochs": 1}'
        runs_before = len(httpx.get(url + "/api/runs?limit=200", headers=headers).json()["runs"])
        for name, method, path, body in [("POST /api/runs", "POST", "/api/runs", small),
                                         ("GET /api/runs", "GET", "/api/runs?limit=5", None),
                                         ("POST 10 MB", "POST", "/api/runs", b"{" + b" " * 10_000_000 + b"}")]:
            time.sleep(2)  # let the buckets refill a little between floods
            result = flood(url, headers, method, path, body, args.requests, args.seconds, args.clients)
            print(f"{name:16} {result}")
        time.sleep(1)
        runs_after = len(httpx.get(url + "/api/runs?limit=200", headers=headers).json()["runs"])
        print(f"runs created by the floods: {runs_after - runs_before}")
    finally:
        if proc is not None:
            proc.kill()


if __name__ == "__main__":
    main()
