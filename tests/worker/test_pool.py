"""A Celery pool child's view of its siblings (worker/pool.py), with real sibling processes: children of this
test's process, as a Celery worker's pool processes are children of the worker."""

import json
import subprocess
import sys

from forgetlab.core.scenario import parse
from forgetlab.core.settings import Settings
from forgetlab.core.store import runs
from forgetlab.core.store.db import migrate, session_factory
from forgetlab.worker.pool import free_processes, worker_name

PREAMBLE = "import json, sys, time\nfrom forgetlab.worker import pool\n"


def children(code: str, count: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", PREAMBLE + code], stdout=subprocess.PIPE, text=True)
            for _ in range(count)]


def outputs(processes: list[subprocess.Popen]) -> list[str]:
    return [process.communicate(timeout=60)[0] for process in processes]


def test_a_child_sees_its_siblings_and_not_itself():
    # Each child waits until the other has started (its own pid among its parent's children is not enough).
    processes = children("time.sleep(1.5)\nprint(json.dumps(sorted(pool.siblings())))", 2)
    first, second = (set(json.loads(out)) for out in outputs(processes))
    assert processes[1].pid in first and processes[0].pid not in first
    assert processes[0].pid in second and processes[1].pid not in second


def test_free_processes_are_the_pool_less_the_siblings_that_train(tmp_path):
    settings = Settings(data_dir=tmp_path, database_url=None, redis_url=None)
    migrate(settings.sqlalchemy_url)
    sessions = session_factory(settings.sqlalchemy_url)
    busy = children("time.sleep(30)", 1)[0]  # a sibling of the child below that has claimed a run
    try:
        with sessions() as session:
            training = runs.create_run(session, scenario=parse({"task_examples": 50}), queue="cpu")
            runs.claim(session, run_id=training.id, worker=worker_name(busy.pid))
            runs.create_run(session, scenario=parse({"task_examples": 60}), queue="cpu")  # queued: no one's
        code = (f"from forgetlab.core.store.db import session_factory\n"
                f"print(pool.free_processes(3, session_factory({settings.sqlalchemy_url!r})))")
        assert outputs(children(code, 1)) == ["2\n"]
    finally:
        busy.kill()
        busy.wait()
    assert free_processes(3, sessions) == 3  # this process's siblings train nothing


def test_one_child_of_a_pool_gathers_at_a_time(tmp_path):
    code = (f"with pool.gathering({str(tmp_path)!r}):\n"
            f"    start = time.monotonic(); time.sleep(0.4); print(start, time.monotonic())")
    spans = sorted(tuple(map(float, out.split())) for out in outputs(children(code, 3)))
    assert all(earlier[1] <= later[0] for earlier, later in zip(spans, spans[1:]))  # never two at once
