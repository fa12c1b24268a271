"""A Celery worker whose pool has two processes, on PostgreSQL and Redis, training real runs.

Each pool child takes its share of a sweep's compatible queued runs among the pool's free processes
(worker/pool.py): a sweep of 8 LoRA runs trains as two groups of 4, one in each process, never as one group of
8 that leaves the other process idle, nor as 4, 2, 1 and 1 (each child counting its whole pool as free)."""

from pathlib import Path

import pytest

from forgetlab.worker.pool import worker_name

from .conftest import distributed_lab, service_env, started_worker
from .flows import GROUPED, check_grouped_sweep

POOLED = {**GROUPED, "lr": 2.4e-3}  # an lr no other test uses: nothing cached


@pytest.fixture(scope="module")
def pool_worker(pg_url, redis_url):
    with started_worker(service_env(pg_url, redis_url), concurrency=2) as worker:
        yield worker


@pytest.fixture(scope="module")
def lab(pg_url, redis_url, pool_worker, pg_token):
    with distributed_lab(pg_url, redis_url, pg_token) as client:
        yield client


def test_a_sweep_trains_as_one_group_per_pool_process(lab, pool_worker):
    runs = check_grouped_sweep(lab, 8, base=POOLED, groups=2)
    first, second = {r["worker"] for r in runs[:4]}, {r["worker"] for r in runs[4:]}
    assert len(first) == len(second) == 1 and first != second  # each group in one process, the two apart
    assert all(r["attempts"] == 1 for r in runs)
    children = {int(pid) for listed in Path(f"/proc/{pool_worker.proc.pid}/task").glob("*/children")
                for pid in listed.read_text().split()}
    assert first | second == {worker_name(pid) for pid in children}  # the worker's two pool processes
