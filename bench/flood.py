"""Flood the API and the account forms and report how their limits held: rate limits (429 + Retry-After),
body limits (413), the log-in and sign-up brakes (app/middleware/throttles.py), no 5xx.

    python -m bench.flood                      # starts its own embedded lab (workers=0) on a free port
    python -m bench.flood --url http://host:8000 --token TOKEN --requests 2000 --seconds 30

Bounded in count (--requests) and time (--seconds), from --clients threads. Five floods, one after the
other: POST /api/runs with a small valid scenario (the write bucket), GET /api/runs (the read bucket),
POST /api/runs with a 10 MB body (refused by its Content-Length, never read), wrong passwords for one
account from one address (POST /login), and new accounts from one address (POST /signup). Prints one line
per flood: requests sent, answers by status, the Retry-After seen, and the rate accepted; then how many log-in
tries and sign-ups past their limits were answered 429, and another user's GET /api/me latency during the
log-in flood. Its own lab trusts X-Forwarded-For, so the floods come from one address of their own.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import os
import statistics
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
    env.update(FORGETLAB_DATA_DIR=tempfile.mkdtemp(prefix="forgetlab-flood-"), FORGETLAB_WORKERS="0",
               FORGETLAB_TRUST_PROXY="1")
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


def _drive(url: str, headers: dict, requests: int, seconds: float, clients: int, prepare, send) -> dict:
    """`clients` threads, each with its own httpx client (`prepare(client)` once), sending `send(client, i)`
    until `requests` are sent or `seconds` pass; what came back, counted."""
    statuses: collections.Counter = collections.Counter()
    retry_after: set[str] = set()
    lock, sent = threading.Lock(), [0]
    deadline = time.monotonic() + seconds

    def one_client():
        with httpx.Client(base_url=url, headers=headers, timeout=30) as c:
            prepare(c)
            while time.monotonic() < deadline:
                with lock:
                    if sent[0] >= requests:
                        return
                    i = sent[0]
                    sent[0] += 1
                try:
                    r = send(c, i)
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
    return {"sent": sent[0], "seconds": round(time.monotonic() - started, 2), "statuses": dict(statuses),
            "retry_after": sorted(retry_after, key=int),
            "server_errors": sum(n for s, n in statuses.items() if isinstance(s, int) and s >= 500)}


def flood(url: str, headers: dict, method: str, path: str, body: bytes | None, requests: int, seconds: float,
          clients: int) -> dict:
    result = _drive(url, {**headers, "Content-Type": "application/json"}, requests, seconds, clients,
                    prepare=lambda c: None, send=lambda c, i: c.request(method, path, content=body))
    ok = sum(n for s, n in result["statuses"].items() if isinstance(s, int) and 200 <= s < 300)
    return {**result, "accepted_per_s": round(ok / result["seconds"], 2), "retry_after": result["retry_after"][:3]}


FLOOD_ADDRESS = "203.0.113.66"  # the floods' own address (X-Forwarded-For; TEST-NET-3)


def form_flood(url: str, path: str, forms, requests: int, seconds: float, clients: int) -> dict:
    """POST a form as a browser would (the CSRF cookie and its header, from a GET of the page first), from
    FLOOD_ADDRESS; `forms(i)` is the i-th request's fields."""
    def prepare(c):
        c.get(path)
        c.headers["X-CSRF-Token"] = c.cookies.get("forgetlab_csrf", "")

    def send(c, i):
        c.cookies.delete("forgetlab_session")  # each try as a browser that is not signed in
        r = c.post(path, data=forms(i), follow_redirects=False)
        c.headers["X-CSRF-Token"] = c.cookies.get("forgetlab_csrf", "")  # a sign-up sets a new one
        return r

    result = _drive(url, {"X-Forwarded-For": FLOOD_ADDRESS}, requests, seconds, clients, prepare, send)
    shown = result["retry_after"]
    return {**result, "retry_after": shown[:3] + (["..."] if len(shown) > 3 else [])}


def me_latency(url: str, headers: dict, stop, out) -> None:
    """Another user's GET /api/me, in ms, until `stop` (from another address than the floods'), put on `out`.
    Run in a process of its own: timed among the flood's threads, it would time their GIL, not the lab."""
    times = []
    with httpx.Client(base_url=url, headers={**headers, "X-Forwarded-For": "198.51.100.7"}, timeout=30) as c:
        while not stop.is_set():
            started = time.perf_counter()
            c.get("/api/me")
            times.append((time.perf_counter() - started) * 1000)
            time.sleep(0.05)
    out.put(times)


def timed(url: str, headers: dict, during) -> tuple[list[float], object]:
    """me_latency in its own process while `during()` runs; returns (latencies, what during returned)."""
    stop, out = multiprocessing.Event(), multiprocessing.Queue()
    probe = multiprocessing.Process(target=me_latency, args=(url, headers, stop, out))
    probe.start()
    try:
        result = during()
    finally:
        stop.set()
    times = out.get(timeout=60)
    probe.join()
    return times, result


def account_floods(url: str, headers: dict, args) -> None:
    """Wrong passwords for one account, then sign-ups, from one address; prints what the brakes answered."""
    with httpx.Client(base_url=url, headers={"X-Forwarded-For": "198.51.100.7"}) as c:
        c.get("/signup")
        c.post("/signup", data={"name": "flood-victim", "password": "the real password 1"},
               headers={"X-CSRF-Token": c.cookies.get("forgetlab_csrf", "")})
    baseline, _ = timed(url, headers, lambda: time.sleep(3))
    during, login = timed(url, headers, lambda: form_flood(
        url, "/login", lambda i: {"name": "flood-victim", "password": f"wrong guess {i}"}, args.requests,
        args.seconds, args.clients))
    print(f"{'POST /login':16} {login}")
    checked = login["statuses"].get(401, 0)
    print(f"login attempts past the limit answered 429: {login['statuses'].get(429, 0)} of "
          f"{login['sent'] - checked} (passwords checked: {checked}, 5xx: {login['server_errors']})")
    print(f"another user's GET /api/me: median {statistics.median(baseline):.1f} ms before, "
          f"{statistics.median(during):.1f} ms (max {max(during):.0f} ms) during the log-in flood")
    time.sleep(2)
    signup = form_flood(url, "/signup", lambda i: {"name": f"flood-{os.getpid()}-{i}", "password": "a password 123"},
                        min(args.requests, 200), args.seconds, args.clients)
    print(f"{'POST /signup':16} {signup}")
    made = signup["statuses"].get(303, 0)
    print(f"sign-ups past the limit answered 429: {signup['statuses'].get(429, 0)} of {signup['sent'] - made} "
          f"(accounts made: {made}, 5xx: {signup['server_errors']})")


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
        time.sleep(2)
        account_floods(url, headers, args)
    finally:
        if proc is not None:
            proc.kill()


if __name__ == "__main__":
    main()
