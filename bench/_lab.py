"""Helpers for the lab benchmarks: a served lab in a subprocess, throwaway PostgreSQL/Redis, percentiles."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("FORGETLAB_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("FORGETLAB_TEST_REDIS", "redis://127.0.0.1:6379")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served_lab(env: dict | None = None, workers: int = 1, wait_warm: bool = True, data_dir: str | None = None):
    """Yields (base URL, pid) of `forgetlab serve` in a fresh data directory (or the one given)."""
    import tempfile

    port = free_port()
    with tempfile.TemporaryDirectory() as scratch:
        data = data_dir or scratch
        full_env = {**{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}, **(env or {})}
        proc = subprocess.Popen([sys.executable, "-m", "forgetlab.core.cli", "serve", "--port", str(port), "--data-dir", data,
                                 "--workers", str(workers), "--log-level", "warning"], cwd=ROOT, env=full_env,
                                start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        url = f"http://127.0.0.1:{port}/"
        try:
            proc.stdout.readline()
            deadline = time.monotonic() + 120
            while True:
                try:
                    health = get_json(url + "api/health")
                    if not wait_warm or (health["executor"] or {}).get("warm", 1) >= 1:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the lab did not start: " + (proc.stdout.read() if proc.poll() is not None else ""))
                time.sleep(0.2)
            yield url, proc.pid
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def wait_warm(url: str, count: int = 1, timeout: float = 120) -> None:
    """Wait until `count` of the lab's worker processes are warm and none is running a run."""
    deadline = time.monotonic() + timeout
    while (executor := get_json(url + "api/health")["executor"])["warm"] < count or executor["running"]:
        if time.monotonic() > deadline:
            raise RuntimeError(f"fewer than {count} warm worker processes")
        time.sleep(0.2)


@contextmanager
def services():
    """(DATABASE_URL, REDIS_URL) of a throwaway PostgreSQL database and an empty Redis DB index."""
    import psycopg
    import redis

    from forgetlab.core.store.db import migrate

    admin = psycopg.connect(PG_ADMIN, autocommit=True)
    name = f"forgetlab_bench_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    pg = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    migrate(pg.replace("postgresql://", "postgresql+psycopg://", 1))
    db = next(d for d in range(14, 0, -1) if redis.Redis.from_url(f"{REDIS}/{d}").dbsize() == 0)
    try:
        yield pg, f"{REDIS}/{db}"
    finally:
        from forgetlab.core.store.db import get_engine

        get_engine.cache_clear()
        redis.Redis.from_url(f"{REDIS}/{db}").flushdb()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def torch_mapped(pid: int) -> bool:
    return "libtorch" in Path(f"/proc/{pid}/maps").read_text()


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")
