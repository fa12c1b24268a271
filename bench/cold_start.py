"""Cold start: seconds from `forgetlab serve` to its first warm worker process (embedded mode).

Run: python -m bench.cold_start [REPEATS]
Each repeat starts a fresh server on a free port with an empty data directory, polls /api/health
every 50 ms and stops the clock when the executor reports a warm worker (one that has imported the
engine and loaded the base, so a run pressed now starts at once). Also reports when the server first
answered at all. A busy machine inflates both; compare figures taken in the same session.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def once() -> tuple[float, float]:
    port = _port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    with tempfile.TemporaryDirectory() as data:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "forgetlab.core.cli", "serve", "--port", str(port), "--data-dir", data,
                                 "--log-level", "warning"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        answered = None
        try:
            while time.perf_counter() - started < 180:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as r:
                        health = json.loads(r.read())
                    answered = answered or time.perf_counter() - started
                    if health["executor"]["warm"] >= 1:
                        return answered, time.perf_counter() - started
                except OSError:
                    pass
                time.sleep(0.05)
            raise RuntimeError("no warm worker within 180 s")
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    runs = [once() for _ in range(repeats)]
    for name, i in (("server answers", 0), ("first warm worker", 1)):
        values = [r[i] for r in runs]
        print(f"{name:18} median {statistics.median(values):5.2f} s  ({', '.join(f'{v:.2f}' for v in values)})")


if __name__ == "__main__":
    main()
