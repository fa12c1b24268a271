"""Fault drills (pytest -m drill): kill -9 of an embedded worker, of the server and of a Celery worker, and an
outage of a Redis the drill starts itself on another port. Each checks that no run stays unfinished and that
no metric point is lost or duplicated: the stored steps are exactly the scenario's evaluation points, and a
viewer who followed the run over SSE got each of them once, in order. Real processes throughout: `forgetlab
serve`, `celery worker`, redis-server, SQLite or PostgreSQL. The figures they print go to docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import wait_for

from .services import OwnRedis, free_port

pytestmark = pytest.mark.drill
ROOT = Path(__file__).resolve().parents[2]
# About 180 steps of the synthetic tier: long enough to kill mid-run, short enough for a drill.
SCENARIO = {"task_examples": 600, "epochs": 3, "batch_size": 10, "eval_every": 20}
TERMINAL = {"succeeded", "failed", "cancelled"}


def expected_steps(total: int, eval_every: int = 20) -> list[int]:
    """The engine's evaluation points (worker/engine/train.py is_eval_point): 0, 5, every eval_every, the last."""
    return sorted({0, 5, total} | set(range(eval_every, total + 1, eval_every)))


def figure(name: str, value: float) -> None:
    print(f"\nDRILL FIGURE {name}: {value:.2f} s", flush=True)


class Server:
    """`forgetlab serve` in its own process group, on a free port."""

    def __init__(self, env: dict, data_dir: Path):
        self.port, self.env, self.data_dir, self.proc = free_port(), env, data_dir, None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        with open(self.data_dir / f"server-{time.monotonic_ns()}.log", "w") as log:  # the child keeps its copy
            self.proc = subprocess.Popen([sys.executable, "-m", "forgetlab.core.cli", "serve", "--port", str(self.port),
                                          "--log-level", "warning"], cwd=ROOT, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(lambda: self._up(), 90, 0.2, "the server")
        return self

    def _up(self) -> bool:
        try:
            return httpx.get(self.url + "/api/health", timeout=2).status_code in (200, 503)
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)  # the server only: its children must go by themselves
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def api(server: Server, headers: dict | None = None) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers=headers or {}, timeout=20)


def run_of(client: httpx.Client, run_id: int) -> dict:
    return client.get(f"/api/runs/{run_id}").json()


def stored_steps(client: httpx.Client, run_id: int) -> list[int]:
    return [p["step"] for p in client.get(f"/api/runs/{run_id}/metrics").json()["points"]]


class Viewer(threading.Thread):
    """Follows a run's SSE stream, reconnecting with Last-Event-ID as a browser does, until `end`."""

    def __init__(self, url: str, run_id: int, headers: dict):
        super().__init__(daemon=True)
        self.url, self.run_id, self.headers = url, run_id, headers
        self.steps: list[int] = []
        self.ended = threading.Event()

    def run(self) -> None:
        last = None
        while not self.ended.is_set():
            headers = {**self.headers, **({"Last-Event-ID": str(last)} if last is not None else {})}
            try:
                with httpx.stream("GET", f"{self.url}/api/runs/{self.run_id}/events", headers=headers,
                                  timeout=httpx.Timeout(10, read=30)) as r:
                    event = None
                    for line in r.iter_lines():
                        if line.startswith("event: "):
                            event = line[7:]
                        elif line.startswith("data: ") and event == "point":
                            step = json.loads(line[6:])["step"]
                            self.steps.append(step)
                            last = step
                        elif line.startswith("data: ") and event == "end":
                            self.ended.set()
                            return
            except (httpx.HTTPError, OSError):
                pass
            time.sleep(0.5)


def assert_complete(client: httpx.Client, run_id: int, viewer: Viewer | None = None) -> None:
    run = run_of(client, run_id)
    assert run["status"] == "succeeded", run
    steps = stored_steps(client, run_id)
    assert steps == expected_steps(run["total_steps"]), (steps, run["total_steps"])
    if viewer is not None:
        assert viewer.ended.wait(30), "the viewer's stream never ended"
        assert viewer.steps == steps, viewer.steps  # each point once, in order, none missing


def wait_terminal(client: httpx.Client, run_id: int, timeout: float = 240) -> dict:
    return wait_for(lambda: (r := run_of(client, run_id))["status"] in TERMINAL and r, timeout, 0.25,
                    f"run {run_id} to end")


def worker_pid(client: httpx.Client, run_id: int) -> int:
    return int(run_of(client, run_id)["worker"].rsplit(":", 1)[1])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead too
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


# --- embedded: SQLite and local worker processes -------------------------------------------------------


@pytest.fixture
def embedded(tmp_path):
    env = {**os.environ, "FORGETLAB_DATA_DIR": str(tmp_path), "FORGETLAB_WORKERS": "1", "FORGETLAB_WARM_SPARES": "0",
           "FORGETLAB_CHECKPOINT_EVERY": "20", "FORGETLAB_MAX_ATTEMPTS": "3", "FORGETLAB_RATE_LIMIT": "0",
           "FORGETLAB_READ_RATE_LIMIT": "0"}
    for name in ("DATABASE_URL", "REDIS_URL", "FORGETLAB_DATABASE_URL", "FORGETLAB_REDIS_URL"):
        env.pop(name, None)
    server = Server(env, tmp_path).start()
    yield server
    server.stop()


def start_and_reach(client: httpx.Client, step: int) -> int:
    run_id = client.post("/api/runs", json=SCENARIO).json()["id"]
    wait_for(lambda: run_of(client, run_id)["step"] >= step, 180, 0.1, f"run {run_id} to reach step {step}")
    return run_id


def test_kill_9_of_an_embedded_worker_mid_run_retries_it_from_its_checkpoint(embedded):
    client = api(embedded)
    run_id = start_and_reach(client, 60)
    viewer = Viewer(embedded.url, run_id, {})
    viewer.start()
    before = run_of(client, run_id)
    killed = time.monotonic()
    os.kill(worker_pid(client, run_id), signal.SIGKILL)
    wait_for(lambda: (r := run_of(client, run_id))["status"] == "queued" or r["attempts"] == 2, 60, 0.02,
             "the death to be seen")
    figure("embedded worker: kill -9 to the run back in line", time.monotonic() - killed)
    wait_for(lambda: run_of(client, run_id)["attempts"] == 2, 120, 0.05, "the retry")
    figure("embedded worker: kill -9 to the run claimed again (a fresh process warms up first)",
           time.monotonic() - killed)
    wait_for(lambda: run_of(client, run_id)["step"] > before["step"], 120, 0.05, "training to continue")
    figure("embedded worker: kill -9 to training past the step it died at", time.monotonic() - killed)
    wait_terminal(client, run_id)
    assert_complete(client, run_id, viewer)


def test_kill_9_of_the_server_takes_its_workers_and_a_restart_resumes_the_run(embedded):
    client = api(embedded)
    run_id = start_and_reach(client, 60)
    child = worker_pid(client, run_id)
    killed = time.monotonic()
    embedded.kill()
    wait_for(lambda: not alive(child), 10, 0.02, "the training child to die with its server")
    figure("server kill -9 to its training child gone", time.monotonic() - killed)
    embedded.start()  # same data dir: the run it left running goes back in line and resumes
    restarted = time.monotonic()
    client = api(embedded)
    wait_for(lambda: run_of(client, run_id)["attempts"] == 2 and run_of(client, run_id)["status"] == "running",
             120, 0.1, "the run to resume")
    figure("server restart to the interrupted run running again", time.monotonic() - restarted)
    wait_terminal(client, run_id)
    viewer = Viewer(embedded.url, run_id, {})  # a viewer arriving after the crash gets every point once
    viewer.start()
    assert_complete(client, run_id, viewer)


# --- distributed: PostgreSQL, a Redis of our own, Celery workers ---------------------------------------


class CeleryWorker:
    def __init__(self, env: dict, data_dir: Path):
        self.env, self.data_dir, self.proc = env, data_dir, None

    def start(self) -> CeleryWorker:
        self.log_path = self.data_dir / f"celery-{time.monotonic_ns()}.log"
        with open(self.log_path, "w") as log:  # the child keeps its copy
            self.proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "forgetlab.worker.celery_app", "worker", "-Q",
                                          "cpu", "--concurrency", "1", "--loglevel", "INFO",
                                          "-n", f"drill{time.monotonic_ns()}@%h"],
                                         cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        wait_for(lambda: "ready." in Path(self.log_path).read_text(), 120, 0.3, "the Celery worker")
        return self

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)  # the main process only: its pool child must follow
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


@pytest.fixture
def distributed(tmp_path, pg_url, pg_token):
    broker = OwnRedis(tmp_path).start()
    env = {**os.environ, "FORGETLAB_DATA_DIR": str(tmp_path), "DATABASE_URL": pg_url, "REDIS_URL": broker.url,
           "FORGETLAB_REDIS_PREFIX": "drill", "FORGETLAB_CHECKPOINT_EVERY": "20", "FORGETLAB_MAX_ATTEMPTS": "3",
           "FORGETLAB_HEARTBEAT_TIMEOUT": "4", "FORGETLAB_HEARTBEAT_SECONDS": "0.5", "FORGETLAB_REAP_SECONDS": "1",
           "FORGETLAB_OUTBOX_SECONDS": "1", "FORGETLAB_OUTBOX_STALE_SECONDS": "5", "FORGETLAB_RATE_LIMIT": "0",
           "FORGETLAB_READ_RATE_LIMIT": "0", "FORGETLAB_TORCH_THREADS": "1"}
    server = Server(env, tmp_path).start()
    worker = CeleryWorker(env, tmp_path).start()
    headers = {"Authorization": f"Bearer {pg_token}"}
    yield server, worker, broker, headers
    worker.stop()
    server.stop()
    broker.stop()


def test_kill_9_of_a_celery_worker_mid_run_resumes_on_another(distributed):
    server, worker, _, headers = distributed
    client = api(server, headers)
    run_id = start_and_reach(client, 60)
    viewer = Viewer(server.url, run_id, headers)
    viewer.start()
    child = worker_pid(client, run_id)
    killed = time.monotonic()
    worker.kill()
    wait_for(lambda: not alive(child), 10, 0.02, "the pool child to die with its worker")
    replacement = CeleryWorker(worker.env, worker.data_dir).start()
    try:
        wait_for(lambda: run_of(client, run_id)["attempts"] == 2, 120, 0.1, "the reaper's retry")
        figure("celery worker kill -9 to the run claimed again (heartbeat timeout 4 s)", time.monotonic() - killed)
        wait_terminal(client, run_id)
        assert_complete(client, run_id, viewer)
    finally:
        replacement.stop()


def test_a_redis_outage_loses_no_run_and_no_point(distributed):
    server, _, broker, headers = distributed
    client = api(server, headers)
    run_id = start_and_reach(client, 40)
    viewer = Viewer(server.url, run_id, headers)
    viewer.start()
    broker.stop()  # no persistence: every queued message and stream entry is gone
    health = client.get("/api/health").json()
    assert health["status"] == "degraded"
    started = time.monotonic()
    during = client.post("/api/runs", json={"task_examples": 50, "epochs": 1})
    assert during.status_code == 201, during.text  # queued safely, in the outbox
    figure("POST while the broker is down", time.monotonic() - started)
    assert client.get("/api/health").json()["outbox"]["unsent"] >= 1
    time.sleep(3)
    broker.start()
    back = time.monotonic()
    wait_terminal(client, run_id)
    wait_terminal(client, during.json()["id"])
    figure("broker back to the run created during the outage finished", time.monotonic() - back)
    assert_complete(client, run_id, viewer)
    assert run_of(client, during.json()["id"])["status"] == "succeeded"
    assert client.get("/api/health").json()["status"] == "ok"
