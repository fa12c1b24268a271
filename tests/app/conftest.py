"""App fixtures: a fresh SQLite database per test and a TestClient whose runs stay queued (no workers).

Tests that need runs to progress store events built from the engine's typed contract
(core/results.py): a change to that contract breaks them here, not in production. The contract
tests (tests/integration/test_contract.py) feed the real engine's events through the real path.
"""

import json

import pytest
from fastapi.testclient import TestClient

from forgetlab.core.artifacts import MANIFEST
from forgetlab.core.results import Metrics, Summary
from forgetlab.core.settings import Settings
from forgetlab.core.store.db import migrate, session_factory
from tests.accounts import same_site


@pytest.fixture
def settings(tmp_path) -> Settings:
    s = Settings(data_dir=tmp_path, workers=0, database_url=None, redis_url=None, live_poll_seconds=0.02)
    migrate(s.sqlalchemy_url)
    return s


@pytest.fixture
def sessions(settings):
    return session_factory(settings.sqlalchemy_url)


@pytest.fixture
def client(settings):
    """The embedded lab, not public: the client is its local instructor, and sends the CSRF token as the
    lab's own pages do (tests/accounts.py). Tests of other roles sign in with tests/accounts.py."""
    from forgetlab.app.main import create_app

    with TestClient(create_app(settings)) as c:
        yield same_site(c)


@pytest.fixture
def public(tmp_path):
    """A lab with log-in on (FORGETLAB_PUBLIC=1): (client, session factory)."""
    from forgetlab.app.main import create_app

    settings = Settings(data_dir=tmp_path, workers=0, database_url=None, redis_url=None, public=True)
    migrate(settings.sqlalchemy_url)
    with TestClient(create_app(settings)) as c:
        yield c, session_factory(settings.sqlalchemy_url)


def metrics_event(step: int, knowledge: float = 0.9, task: float = 0.1) -> Metrics:
    """A metrics event of the engine's contract."""
    caps = {c: {"accuracy": 0.9, "nll": 0.1} for c in ("instruction", "reasoning", "format", "safety")}
    caps["knowledge"] = {"accuracy": knowledge, "nll": 0.2}
    return Metrics(step=step, epoch=step / 10, train_loss=None if step == 0 else 1.0 / step, val_loss=2.0, lr=1e-3,
                   seconds=step / 10, capabilities=caps, task={"name": "support-narrow", "accuracy": task, "nll": 3.0},
                   format_rigidity=0.0, refusal=1.0, over_refusal=0.0)


def record(sessions, run_id: int, event: Metrics) -> None:
    """Store a metrics point as the worker's recorder does: one batch of narrow rows."""
    from forgetlab.core.store import runs

    with sessions() as session:
        runs.write_points(session, run_id=run_id, step=event.step, values=event.values())


CAPS = ("instruction", "knowledge", "reasoning", "format", "safety")


def summary(drop: float, task: float, wise: bool = False) -> dict:
    """A finished run's summary (the contract's Summary): every capability fell by `drop`, the task reached `task`."""
    return Summary.model_validate({"baseline": {c: 1.0 for c in CAPS}, "final": {c: 1.0 - drop for c in CAPS},
            "forgetting": {c: drop for c in CAPS}, "max_drop": {c: drop for c in CAPS},
            "retention": {c: 100 * (1 - drop) for c in CAPS}, "bwt": -drop,
            "task_accuracy": {"baseline": 0.0, "final": task}, "task_gain": task,
            "wise_ft": [{"alpha": a, "capabilities": {c: 1 - drop * a for c in CAPS}, "task": task * a}
                        for a in (0, 0.5, 1)] if wise else None,
            "format_rigidity": 0.1, "refusal": 0.9, "over_refusal": 0.0, "steps": 10, "seconds": 1.0,
            "setup_seconds": 0.1, "eval_seconds": 0.1, "train_seconds": 0.8,
            "early_stopped": False}).model_dump(mode="json")


def finish(sessions, run_id: int, drop: float = 0.2, task: float = 1.0, status: str = "succeeded",
           wise: bool = False) -> None:
    """Play a run through as a worker would: three metric points, then its terminal status and summary."""
    from forgetlab.core.store import runs

    for step in (0, 5, 10):
        record(sessions, run_id, metrics_event(step, knowledge=0.9 - drop * step / 10, task=task * step / 10))
    with sessions() as session:
        runs.claim(session, run_id=run_id, worker="test:1")
        runs.finish(session, run_id=run_id, status=status,
                    summary=summary(drop, task, wise) if status == "succeeded" else None)


def saved_model(settings, run_id: int, *, for_run: int | None, scenario_hash: str | None = None) -> None:
    """What the worker writes (worker/engine/artifacts.py): weights and a manifest naming the run."""
    folder = settings.run_model_dir(run_id)
    folder.mkdir(parents=True)
    (folder / "adapter_model.safetensors").write_bytes(b"weights of run %d" % (for_run or 0))
    manifest = {"format": 1, "kind": "adapter", "scenario_hash": scenario_hash}
    if for_run is not None:
        manifest["run_id"] = for_run
    (folder / MANIFEST).write_text(json.dumps(manifest))
