"""App fixtures: a fresh SQLite database per test and a TestClient whose runs stay queued (no workers).

Tests that need runs to progress write engine events through worker.jobs.EventSink themselves,
which is exactly what a worker does, without paying for torch.
"""

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.db import migrate, session_factory


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
    from app.main import create_app

    with TestClient(create_app(settings)) as c:
        yield c


def metrics_event(step: int, knowledge: float = 0.9, task: float = 0.1) -> dict:
    """A metrics event shaped like the engine's, for feeding EventSink."""
    caps = {c: {"accuracy": 0.9, "nll": 0.1} for c in ("instruction", "reasoning", "format", "safety")}
    caps["knowledge"] = {"accuracy": knowledge, "nll": 0.2}
    return {"type": "metrics", "step": step, "epoch": step / 10, "train_loss": None if step == 0 else 1.0 / step,
            "val_loss": 2.0, "capabilities": caps, "task": {"name": "support-narrow", "accuracy": task, "nll": 3.0},
            "format_rigidity": 0.0, "refusal": 1.0, "over_refusal": 0.0}
