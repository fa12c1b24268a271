"""A run whose task is a user's dataset: the worker reads it from the store and the real engine trains on it;
a run whose dataset is gone fails saying so."""

import json

import pytest

from forgetlab.core.datasets import parse_jsonl, split
from forgetlab.core.scenario import parse
from forgetlab.core.settings import Settings
from forgetlab.core.store import runs
from forgetlab.core.store.datasets import create_dataset
from forgetlab.core.store.db import migrate, session_factory
from forgetlab.core.tiers.synthetic import world
from forgetlab.worker import jobs


@pytest.fixture
def settings(tmp_path):
    s = Settings(data_dir=tmp_path, database_url=None, redis_url=None, torch_threads=1)
    migrate(s.sqlalchemy_url)
    return s


def world_dataset():
    """Pairs in the synthetic world's own words (its tokenizer is word-level), one line per prompt."""
    pairs = dict(world.examples("shift", 60, 1))
    return parse_jsonl("\n".join(json.dumps({"prompt": p, "response": r}) for p, r in pairs.items()).encode(), "shift")


def queued(settings, task: str, owner_id: int | None = None) -> int:
    with session_factory(settings.sqlalchemy_url)() as s:
        scenario = parse({"task": task, "task_examples": 64, "epochs": 1, "batch_size": 32, "eval_every": 1})
        return runs.create_run(s, scenario=scenario, queue="cpu", owner_id=owner_id).id


def test_a_dataset_run_trains_through_the_real_engine(settings):
    dataset = world_dataset()
    with session_factory(settings.sqlalchemy_url)() as s:
        create_dataset(s, dataset=dataset)
    run_id = queued(settings, dataset.task)
    assert jobs.run_job(run_id=run_id, settings=settings) == "succeeded"
    with session_factory(settings.sqlalchemy_url)() as s:
        run = runs.get_run(s, run_id=run_id)
        points = runs.points_after(s, run_id=run_id)
    assert run.error is None and run.summary["steps"] == 2
    assert 0.0 <= run.summary["task_accuracy"]["final"] <= 1.0
    assert [step for step, _ in points] == [0, 1, 2] and "task.accuracy" in points[-1][1]
    # The tier handed to the engine carries the dataset's own splits (probes never trained on).
    tier = jobs._with_dataset("synthetic", dataset.task, tuple(dataset.pairs))
    assert tier.datasets[dataset.task] == split(dataset.pairs)


def test_the_second_uploaders_run_trains_on_the_pairs_stored_once(settings):
    """Two owners' datasets over the same pairs: the worker reads the pairs by id, whoever's run it is."""
    dataset = world_dataset()
    with session_factory(settings.sqlalchemy_url)() as s:
        create_dataset(s, dataset=dataset, owner_id=1)
        create_dataset(s, dataset=dataset, owner_id=2)
    run_id = queued(settings, dataset.task, owner_id=2)
    assert jobs.run_job(run_id=run_id, settings=settings) == "succeeded"


def test_a_run_whose_dataset_is_gone_fails_saying_so(settings):
    run_id = queued(settings, "data:0123456789abcdef")  # stored without the API's check, as if deleted since
    assert jobs.run_job(run_id=run_id, settings=settings) == "failed"
    with session_factory(settings.sqlalchemy_url)() as s:
        error = runs.get_run(s, run_id=run_id).error
    assert "data:0123456789abcdef is no longer stored" in error
