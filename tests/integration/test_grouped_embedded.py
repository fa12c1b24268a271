"""Grouped scheduling in the embedded lab end to end: SQLite, two warm spawned worker processes, the real engine.

A sweep's LoRA runs train as two groups, one in each process (on the CPU a process takes its share of the
compatible runs among the free ones; the two never race for a run), each run streams its own curve, a member
cancelled mid-group leaves it while the others finish with the results they would have had trained alone (the
tolerances of tests/worker/engine/test_grouped.py)."""

import pytest
from fastapi.testclient import TestClient

from forgetlab.core.scenario import parse
from forgetlab.core.settings import Settings
from forgetlab.core.store.db import migrate
from forgetlab.worker.recorder import finite
from tests.worker.engine.test_grouped import differences, untimed

from .conftest import wait_for
from .flows import GROUPED, check_grouped_sweep

# 18 steps each (192 examples, 3 epochs of 6 batches): long enough to cancel one member mid-group.
LONGER = {**GROUPED, "task_examples": 192, "epochs": 3, "eval_every": 4}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    from forgetlab.app.main import create_app

    settings = Settings(data_dir=tmp_path_factory.mktemp("lab"), database_url=None, redis_url=None, workers=2,
                        warm_spares=1, group_size=8, group_wait_ms=500,
                        read_rate_limit=0, rate_limit=0)  # the tests poll several runs at once
    migrate(settings.sqlalchemy_url)
    app = create_app(settings)
    with TestClient(app) as client:
        wait_for(lambda: app.state.executor.busy()["warm"] >= 2, 120, what="two warm worker processes")
        yield client


def test_a_sweep_of_eight_lora_runs_trains_as_a_group_per_process_and_a_cancelled_member_leaves_it(lab):
    import torch

    from forgetlab.worker.engine.train import train

    runs = check_grouped_sweep(lab, 8, base=LONGER, cancel=3, groups=2)
    torch.set_num_threads(1)  # as the worker process trains a synthetic run
    for index, stored in enumerate(runs):
        if index == 3:
            continue
        alone = finite(train(parse(stored["config"])).model_dump(mode="json", exclude={"private"}))  # stored apart
        found = differences(untimed(alone), untimed(stored["summary"]))
        assert not found, f"member {index}: {found[:5]}"


def test_a_group_whose_process_dies_goes_back_in_line_whole(lab):
    """A killed process's group: every member is retried (its second attempt), as one group again, while the other
    process's group goes on."""
    import os
    import signal

    from .conftest import LONG
    from .flows import run

    executor = lab.app.state.executor
    wait_for(lambda: executor.busy()["warm"] >= 1, 120, what="a warm worker process")
    created = lab.post("/api/sweeps", json={"base": {**LONG, "method": "lora"}, "grid": {"seed": [0, 1, 2, 3]}}).json()
    ids = created["new_runs"]
    wait_for(lambda: all(run(lab, i)["step"] >= 5 for i in ids), 120, what="the groups to reach step 5")
    child = next(c for c in executor.children if c.run_id in ids)
    group = sorted(child.group)
    assert len(group) == 2 and set(group) < set(ids)  # its share: the other process trains the other two
    os.kill(child.process.pid, signal.SIGKILL)  # as the OOM killer would
    wait_for(lambda: all(run(lab, i)["attempts"] == 2 and run(lab, i)["status"] == "running" for i in group), 120,
             what="every member's second attempt")
    assert all(sorted(run(lab, i)["info"]["group"]) == group for i in group)
    for run_id in ids:
        lab.post(f"/api/runs/{run_id}/cancel")
    wait_for(lambda: all(run(lab, i)["status"] == "cancelled" for i in ids), 10, what="the members to stop")
