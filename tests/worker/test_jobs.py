"""The shared run function, with a stand-in engine: DB rows, statuses, failures and cancellation.

The real engine runs in tests/integration; here `train` is replaced so these tests need no torch.
"""

import threading

import pytest

from forgetlab.core.errors import Cancelled, RuntimeUnavailable
from forgetlab.core.results import EarlyStopped, Metrics, Samples, Started
from forgetlab.core.scenario import parse
from forgetlab.core.settings import Settings
from forgetlab.core.store import runs
from forgetlab.core.store.db import migrate, session_factory
from forgetlab.worker import jobs


class FakeSummary:
    def model_dump(self, mode="python"):
        return {"steps": 2, "forgetting": {"knowledge": float("nan")}}


def fake_train(events, fail=None, wait_for_cancel=False):
    def train(scenario, on_event, tier, runtime, should_cancel, save_to, **checkpointing):
        for event in events:
            on_event(event)
        if fail:
            raise fail
        if wait_for_cancel:
            for _ in range(400):
                if should_cancel():
                    raise Cancelled(3)
                threading.Event().wait(0.01)
        return FakeSummary(), None
    return train


EVENTS = [
    Started(total_steps=2, scenario={}, parameters=100, trainable=50),
    Metrics(step=0, train_loss=None, val_loss=1.0, epoch=0.0, lr=1e-3, seconds=0.1,
            capabilities={"knowledge": {"accuracy": 1.0, "nll": 0.1}}, task={"name": "t", "accuracy": 0.0, "nll": 3.0},
            format_rigidity=None, refusal=1.0, over_refusal=0.0),
    Samples(step=0, samples=[{"capability": "knowledge", "prompt": "p", "expected": "e", "base": "e", "output": "e",
                              "correct": True}]),
    EarlyStopped(step=2, reason="validation loss stopped improving"),
]


@pytest.fixture(autouse=True)
def cpu_runtime(monkeypatch):
    monkeypatch.setattr(jobs, "_runtime", lambda queue, tier, processes, settings: None)  # no torch in these tests


@pytest.fixture
def settings(tmp_path):
    s = Settings(data_dir=tmp_path, database_url=None, redis_url=None, cancel_poll_seconds=0.05)
    migrate(s.sqlalchemy_url)
    return s


def queued(settings) -> int:
    with session_factory(settings.sqlalchemy_url)() as s:
        return runs.create_run(s, scenario=parse({"task_examples": 50, "epochs": 1}), queue="cpu").id


def load(settings, run_id):
    with session_factory(settings.sqlalchemy_url)() as s:
        return runs.get_run(s, run_id=run_id), runs.points_after(s, run_id=run_id), runs.latest_samples(s, run_id=run_id)


def test_a_run_writes_its_events_and_summary(settings, monkeypatch):
    monkeypatch.setattr(jobs, "_engine", lambda: fake_train(EVENTS))
    run_id = queued(settings)
    assert jobs.run_job(run_id=run_id, settings=settings) == "succeeded"
    run, points, samples = load(settings, run_id)
    assert run.status == "succeeded" and run.attempts == 1 and run.finished_at and run.worker
    assert run.summary == {"steps": 2, "forgetting": {"knowledge": None}}  # NaN stored as null
    assert run.info["parameters"] == 100 and run.info["early_stopped"]["step"] == 2
    assert points == [(0, {"cap.knowledge.accuracy": 1.0, "cap.knowledge.nll": 0.1, "epoch": 0.0, "val_loss": 1.0,
                           "task.accuracy": 0.0, "task.nll": 3.0, "refusal": 1.0, "over_refusal": 0.0, "lr": 0.001,
                           "seconds": 0.1})]
    assert samples.step == 0 and samples.samples[0]["output"] == "e"


def test_a_second_delivery_of_the_same_run_is_skipped(settings, monkeypatch):
    monkeypatch.setattr(jobs, "_engine", lambda: fake_train(EVENTS))
    run_id = queued(settings)
    jobs.run_job(run_id=run_id, settings=settings)
    assert jobs.run_job(run_id=run_id, settings=settings) == "skipped"
    assert load(settings, run_id)[0].attempts == 1


def test_an_engine_error_fails_the_run_with_the_reason(settings, monkeypatch):
    monkeypatch.setattr(jobs, "_engine", lambda: fake_train(EVENTS[:2], fail=RuntimeError("out of memory")))
    run_id = queued(settings)
    assert jobs.run_job(run_id=run_id, settings=settings) == "failed"
    run = load(settings, run_id)[0]
    assert run.error == "RuntimeError: out of memory"


class TimeLimit(Exception):  # what a caller's time limit raises (Celery's SoftTimeLimitExceeded)
    pass


def test_runtime_errors_are_caught_by_class_not_by_name(settings, monkeypatch):
    monkeypatch.setattr(jobs, "_engine", lambda: fake_train(EVENTS[:2], fail=RuntimeUnavailable("no GPU here")))
    run_id = queued(settings)
    assert jobs.run_job(run_id=run_id, settings=settings) == "failed"
    assert load(settings, run_id)[0].error == "no GPU here"
    monkeypatch.setattr(jobs, "_engine", lambda: fake_train(EVENTS[:2], fail=TimeLimit()))
    run_id = queued(settings)
    assert jobs.run_job(run_id=run_id, settings=settings, time_limit_error=TimeLimit) == "failed"
    assert "took longer than the limit" in load(settings, run_id)[0].error
    named_alike = type("Cancelled", (Exception,), {})  # not the engine's Cancelled: a failure like any other
    monkeypatch.setattr(jobs, "_engine", lambda: fake_train(EVENTS[:2], fail=named_alike("x")))
    run_id = queued(settings)
    assert jobs.run_job(run_id=run_id, settings=settings) == "failed"


def test_an_invalid_stored_config_fails_cleanly(settings, monkeypatch):
    run_id = queued(settings)
    with session_factory(settings.sqlalchemy_url)() as s:
        run = runs.get_run(s, run_id=run_id)
        run.config = {**run.config, "lr": 99}
        s.commit()
    assert jobs.run_job(run_id=run_id, settings=settings) == "failed"
    assert "lr" in load(settings, run_id)[0].error


def test_cancel_flag_stops_a_running_run(settings, monkeypatch):
    monkeypatch.setattr(jobs, "_engine", lambda: fake_train(EVENTS[:2], wait_for_cancel=True))
    run_id = queued(settings)
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("status", jobs.run_job(run_id=run_id, settings=settings)))
    worker.start()
    sessions = session_factory(settings.sqlalchemy_url)
    for _ in range(200):
        with sessions() as s:
            if runs.get_run(s, run_id=run_id).status == "running":
                break
        threading.Event().wait(0.01)
    with sessions() as s:
        assert runs.request_cancel(s, run_id=run_id) == "running"
    worker.join(timeout=5)
    assert result["status"] == "cancelled" and load(settings, run_id)[0].status == "cancelled"


def test_metric_values_flatten_the_engine_event():
    values = EVENTS[1].model_copy(update={"format_rigidity": float("nan")}).values()
    assert values["cap.knowledge.accuracy"] == 1.0 and values["lr"] == 0.001
    assert "train_loss" not in values and "format_rigidity" not in values


def make_run(settings, queue: str = "cpu", **config) -> int:
    with session_factory(settings.sqlalchemy_url)() as s:
        return runs.create_run(s, scenario=parse({"task_examples": 50, "epochs": 1, **config}), queue=queue).id


def test_a_job_gathers_the_compatible_queued_runs_into_one_group(settings, monkeypatch):
    """Same tier, base and queue, LoRA without dropout: up to group_size runs, in queue order; the rest wait for
    their own message. Each member ends on its own: one cancelled, the others succeeded."""
    settings.group_size, settings.group_wait_ms = 3, 0
    first = make_run(settings, method="lora")
    full = make_run(settings)  # full fine-tuning shares no frozen base
    other_base = make_run(settings, method="lora", base_seed=1)
    dropout = make_run(settings, method="lora", lora_dropout=0.1)
    gpu = make_run(settings, queue="gpu", method="lora")
    second = make_run(settings, method="lora", seed=1, lora_rank=4)  # ranks may differ
    third = make_run(settings, method="lora", seed=2)
    fourth = make_run(settings, method="lora", seed=3)  # the group is full without it
    trained = []

    def train_group(members, runtime):
        trained.append([m["run_id"] for m in members])
        return [Cancelled(1) if m["run_id"] == second else (FakeSummary(), None) for m in members]

    monkeypatch.setattr(jobs, "_group_engine", lambda: train_group)
    took = []
    assert jobs.run_job(run_id=first, settings=settings, took=took.append) == "succeeded"
    assert took == trained == [[first, second, third]]
    status = {run_id: load(settings, run_id)[0].status for run_id in range(first, fourth + 1)}
    assert status == {first: "succeeded", second: "cancelled", third: "succeeded", full: "queued",
                      other_base: "queued", dropout: "queued", gpu: "queued", fourth: "queued"}
    assert load(settings, third)[0].info["group"] == [first, second, third]
    took.clear()
    assert jobs.run_job(run_id=third, settings=settings, took=took.append) == "skipped" and took == [[]]


def test_grouping_off_trains_each_run_alone(settings, monkeypatch):
    settings.group_size = 1
    monkeypatch.setattr(jobs, "_engine", lambda: fake_train(EVENTS[:1]))
    monkeypatch.setattr(jobs, "_group_engine", lambda: pytest.fail("grouping is off"))
    first, second = make_run(settings, method="lora"), make_run(settings, method="lora", seed=1)
    took = []
    assert jobs.run_job(run_id=first, settings=settings, took=took.append) == "succeeded"
    assert took == [[first]] and load(settings, second)[0].status == "queued"


def test_on_a_cpu_a_job_takes_its_share_of_the_queue_among_the_free_processes(settings, monkeypatch):
    """Two processes free and 8 compatible runs: the first job takes 4 and leaves at once (no wait for runs that are
    the other process's share); the next, alone free, takes the other 4. On the GPU queue one job takes them all."""
    settings.group_size, settings.group_wait_ms = 8, 60_000  # a wait would show as a hung test
    cpu = [make_run(settings, method="lora", seed=i) for i in range(8)]
    gpu = [make_run(settings, queue="gpu", method="lora", seed=i) for i in range(8)]
    trained = []

    def train_group(members, runtime):
        trained.append([m["run_id"] for m in members])
        return [(FakeSummary(), None) for _ in members]

    monkeypatch.setattr(jobs, "_group_engine", lambda: train_group)
    assert jobs.run_job(run_id=cpu[0], settings=settings, processes=2, free=2) == "succeeded"
    settings.group_wait_ms = 0  # the next takes every compatible run left, then would wait for more to be queued
    assert jobs.run_job(run_id=cpu[4], settings=settings, processes=2, free=1) == "succeeded"
    assert jobs.run_job(run_id=gpu[0], settings=settings, processes=2, free=2) == "succeeded"
    assert trained == [cpu[:4], cpu[4:], gpu]
