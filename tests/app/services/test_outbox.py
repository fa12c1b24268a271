"""The outbox (app/services/outbox.py): a run created while the broker is down is queued safely and sent once it is
back; a run whose message was lost is sent again; health says degraded meanwhile. Against a real Redis that
the test starts on its own port and stops (never the shared one)."""

import time

import pytest
import redis
from fastapi.testclient import TestClient

from forgetlab.app.services import outbox
from forgetlab.core.settings import Settings
from forgetlab.core.store import runs
from forgetlab.core.store.db import migrate
from tests.accounts import bearer, make_user
from tests.drills.services import OwnRedis


@pytest.fixture
def broker(tmp_path):
    own = OwnRedis(tmp_path).start()
    yield own
    own.stop()


@pytest.fixture
def lab(tmp_path, broker):
    settings = Settings(data_dir=tmp_path, database_url=None, redis_url=broker.url, redis_prefix="outbox-test",
                        queue="cpu", outbox_seconds=3600, outbox_stale_seconds=0.5)
    migrate(settings.sqlalchemy_url)
    from forgetlab.app.main import create_app

    with TestClient(create_app(settings)) as client:
        client.headers.update(bearer(client.app.state.sessions, make_user(client.app.state.sessions, "ada")))
        yield client


def queued_messages(broker) -> int:
    return redis.Redis.from_url(broker.url).llen("cpu")


def test_a_run_created_while_the_broker_is_down_waits_then_is_sent(lab, broker):
    state = lab.app.state
    broker.stop()
    started = time.monotonic()
    r = lab.post("/api/runs", json={"task_examples": 50})
    assert r.status_code == 201, r.text  # queued safely: the row says it still needs sending
    assert time.monotonic() - started < 10
    run_id = r.json()["id"]
    with state.sessions() as session:
        assert runs.get_run(session, run_id=run_id).sent_at is None
    health = lab.get("/api/health")
    assert health.status_code == 200
    assert health.json()["status"] == "degraded" and health.json()["outbox"]["unsent"] == 1
    assert health.json()["executor"]["ok"] is False

    broker.start()
    time.sleep(outbox.SETTLE_SECONDS)  # the reconciler leaves brand-new rows to their own request
    assert outbox.reconcile_once(state)["sent"] == 1
    with state.sessions() as session:
        assert runs.get_run(session, run_id=run_id).sent_at is not None
    assert queued_messages(broker) == 1
    assert lab.get("/api/health").json()["status"] == "ok"
    assert outbox.reconcile_once(state)["sent"] == 0  # its message waits in the queue: not lost, not re-sent


def test_a_lost_message_is_sent_again(lab, broker):
    state = lab.app.state
    run_id = lab.post("/api/runs", json={"task_examples": 50}).json()["id"]
    assert queued_messages(broker) == 1
    broker.stop()  # a Redis without persistence restarts: the message is gone, the run still queued
    broker.start()
    assert queued_messages(broker) == 0
    time.sleep(0.6)  # older than outbox_stale_seconds
    assert outbox.reconcile_once(state) == {"unsent": 0, "lost": 1, "sent": 1}
    assert queued_messages(broker) == 1
    with state.sessions() as session:
        assert runs.get_run(session, run_id=run_id).status == "queued"
