"""Bounded input and load (app/middleware/limits.py): body limits answered 413 before parsing, per-client rate
limits answered 429 with Retry-After, the trusted-host check, and no input that makes a 500."""

import pytest
from fastapi.testclient import TestClient

from forgetlab.app.middleware.limits import TokenBuckets
from forgetlab.core.settings import Settings
from forgetlab.core.store import runs
from forgetlab.core.store.db import migrate
from forgetlab.core.store.models import Run
from tests.accounts import same_site


def lab(tmp_path, **overrides):
    settings = Settings(data_dir=tmp_path, workers=0, database_url=None, redis_url=None, **overrides)
    migrate(settings.sqlalchemy_url)
    from forgetlab.app.main import create_app

    return settings, create_app(settings)


def run_count(app) -> int:
    with app.state.sessions() as session:
        return session.query(Run).count()


def test_a_body_declared_too_large_is_refused_unread(client):
    r = client.post("/api/runs", content=b"{" + b" " * (300 * 1024) + b"}",
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json()["errors"] == [{"field": "body", "reason": "at most 262144 bytes"}]
    assert client.get("/api/runs").json()["runs"] == []


def test_a_10_mb_config_is_refused(client):
    r = client.post("/api/runs", json={"task_examples": 50, "note": "x" * 10_000_000})
    assert r.status_code == 413
    assert client.get("/api/runs").json()["runs"] == []


def test_a_body_without_a_length_is_counted_and_refused_past_the_limit(client):
    sent = []

    def chunks():  # 50 MB offered; the server stops reading just past the limit
        for _ in range(50):
            sent.append(1)
            yield b" " * (1024 * 1024)

    r = client.post("/api/runs", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert client.get("/api/runs").json()["runs"] == []


def test_a_small_chunked_body_still_works(client):
    r = client.post("/api/runs", content=iter([b'{"task_examples": ', b'50, "epochs": 1}']),
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text


def test_too_many_changes_from_one_client_are_429_with_retry_after(tmp_path):
    # One token per 100 s: the test cannot refill the bucket by being slow, so it cannot flake.
    _, app = lab(tmp_path, rate_limit=0.01, rate_burst=3)
    with TestClient(app) as client:
        same_site(client)
        codes = [client.post("/api/runs", json={"epochs": 99}).status_code for _ in range(3)]
        assert codes == [422, 422, 422]  # refused as invalid, yet each used a token
        r = client.post("/api/runs", json={"task_examples": 50})
        assert r.status_code == 429
        assert 90 <= int(r.headers["Retry-After"]) <= 100
        assert r.json()["errors"][0]["field"] == "rate"
        assert run_count(app) == 0
        assert client.get("/api/health").status_code == 200  # reads have their own bucket
        assert client.get("/static/app.css").status_code == 200


def test_reads_have_a_larger_bucket_and_static_files_none(tmp_path):
    _, app = lab(tmp_path, read_rate_limit=0.01, read_burst=5)
    with TestClient(app) as client:
        assert [client.get("/api/health").status_code for _ in range(5)] == [200] * 5
        r = client.get("/api/health")
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        assert all(client.get("/static/app.css").status_code == 200 for _ in range(10))


def test_rate_limits_can_be_turned_off(tmp_path):
    _, app = lab(tmp_path, rate_limit=0, read_rate_limit=0)
    with TestClient(app) as client:
        assert all(client.get("/api/health").status_code == 200 for _ in range(300))


def test_token_buckets_refill_at_their_rate():
    now = [0.0]
    buckets = TokenBuckets(rate=2.0, burst=2, clock=lambda: now[0])
    assert buckets.take("a") == 0 and buckets.take("a") == 0
    assert buckets.take("a") == pytest.approx(0.5)
    assert buckets.take("b") == 0  # another client has its own bucket
    now[0] = 0.5
    assert buckets.take("a") == 0
    assert buckets.take("a") > 0


def test_only_trusted_hosts_are_answered(tmp_path):
    _, app = lab(tmp_path, trusted_hosts="lab.example,localhost")
    with TestClient(app, base_url="http://lab.example") as client:
        assert client.get("/api/health").status_code == 200
    with TestClient(app, base_url="http://evil.example") as client:
        assert client.get("/api/health").status_code == 400


BIG = str(2**70)


@pytest.mark.parametrize("url", [
    f"/api/runs?offset={BIG}", "/api/runs?offset=-1", f"/api/runs?limit={BIG}",
    f"/api/compare?sweep={BIG}", "/api/compare?sweep=%C2%B2", f"/api/compare?runs=1,2&baseline={BIG}",
    f"/api/export/metrics.csv?sweep={BIG}",
])
def test_integers_beyond_any_column_are_422_naming_the_parameter(client, url):
    r = client.get(url)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] in ("offset", "limit", "sweep", "baseline")


@pytest.mark.parametrize("run_id", [BIG, str(2**31), "%C2%B2", "%D9%A1", "1e3", "-1", "0x10"])
def test_ids_that_spell_no_stored_id_are_404(client, run_id):
    for url in (f"/api/runs/{run_id}", f"/api/runs/{run_id}/metrics", f"/api/sweeps/{run_id}"):
        assert client.get(url).status_code == 404, url


def test_a_metrics_cursor_beyond_any_step_is_422(client):
    run_id = client.post("/api/runs", json={"task_examples": 50}).json()["id"]
    assert client.get(f"/api/runs/{run_id}/metrics?after={BIG}").status_code == 422
    assert client.get(f"/api/runs/{run_id}/metrics?after=2147483647").json()["points"] == []


@pytest.mark.parametrize("last_event_id", [BIG, "²".encode(), "-5", "abc", "2147483648"])
def test_a_last_event_id_that_is_no_step_replays_everything(client, last_event_id, sessions):
    run_id = client.post("/api/runs", json={"task_examples": 50}).json()["id"]
    with sessions() as session:
        runs.write_points(session, run_id=run_id, step=0, values={"task.accuracy": 0.0})
        runs.finish(session, run_id=run_id, status="cancelled")
    r = client.get(f"/api/runs/{run_id}/events", headers={"Last-Event-ID": last_event_id})
    assert r.status_code == 200
    assert "id: 0\n" in r.text and "event: end" in r.text


@pytest.mark.parametrize("spec,field", [
    ({"preset": ["break-it"], "grid": {"lr": [1e-3]}}, "preset"),
    ({"preset": {"a": 1}, "grid": {"lr": [1e-3]}}, "preset"),
    ({"preset": 3, "grid": {"lr": [1e-3]}}, "preset"),
    ({"grid": {"epochs": [True, 2]}}, "epochs"),
])
def test_a_sweep_with_values_of_the_wrong_type_is_422(client, spec, field):
    r = client.post("/api/sweeps", json=spec)
    assert r.status_code == 422, r.text
    assert any(e["field"] == field for e in r.json()["errors"])


@pytest.mark.parametrize("body,field", [({"epochs": True}, "epochs"), ({"lr": False}, "lr"),
                                        ({"seed": 2**70}, "seed"), ({"tier": 5}, "tier"),
                                        ({"lora_targets": "q_proj"}, "lora_targets")])
def test_booleans_and_wrong_types_are_not_numbers(client, body, field):
    r = client.post("/api/runs", json=body)
    assert r.status_code == 422
    assert field in {e["field"] for e in r.json()["errors"]}


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"{", b"null", b"{" * 100_000])
def test_bodies_that_are_no_mapping_are_4xx_not_500(client, body):
    r = client.post("/api/runs", content=body, headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500, r.text
    assert isinstance(r.json()["detail"], str)


def public_lab(tmp_path, **overrides):
    """A lab with log-in on, tight write limits and ada and bob as students; one token per 100 s, so the test
    cannot refill a bucket by being slow."""
    from tests.accounts import make_user

    _, app = lab(tmp_path, public=True, rate_limit=0.01, rate_burst=2, **overrides)
    users = {name: make_user(app.state.sessions, name) for name in ("ada", "bob")}
    return app, users


def spend(client, headers=None) -> list[int]:
    """Three changes (invalid runs: each uses a token, none is stored); the burst is two."""
    return [client.post("/api/runs", json={"epochs": 99}, headers=headers or {}).status_code for _ in range(3)]


def test_two_users_behind_one_address_have_their_own_buckets(tmp_path):
    from tests.accounts import bearer, login

    app, users = public_lab(tmp_path)
    with TestClient(app) as ada, TestClient(app) as bob:  # both from the one address "testclient"
        ada.headers.update(bearer(app.state.sessions, users["ada"]))
        assert spend(ada) == [422, 422, 429]
        bob_browser = TestClient(app)
        login(bob_browser, "bob")  # a session cookie this time (the log-in POSTs came from the address bucket)
        r = bob_browser.post("/api/runs", json={"epochs": 99})
        assert r.status_code == 422, r.text
        bob.headers.update(bearer(app.state.sessions, users["bob"]))
        assert bob.post("/api/runs", json={"epochs": 99}).status_code == 422
        assert bob.post("/api/runs", json={"epochs": 99}).status_code == 429  # bob's token and cookie: one bucket
        assert ada.post("/api/runs", json={"epochs": 99}).status_code == 429


def test_one_user_on_two_addresses_shares_one_bucket(tmp_path):
    from tests.accounts import bearer

    app, users = public_lab(tmp_path, trust_proxy=True)
    with TestClient(app) as client:
        token = bearer(app.state.sessions, users["ada"])
        home, phone = {**token, "X-Forwarded-For": "10.0.0.1"}, {**token, "X-Forwarded-For": "10.0.0.2"}
        assert spend(client, home)[:2] == [422, 422]
        r = client.post("/api/runs", json={"epochs": 99}, headers=phone)
        assert r.status_code == 429 and r.headers["Retry-After"]
        # Anonymous requests from that second address still have the address's own bucket.
        assert client.post("/api/runs", json={"epochs": 99}, headers={"X-Forwarded-For": "10.0.0.2"}).status_code == 401


def test_made_up_tokens_draw_from_the_address_bucket(tmp_path):
    app, _ = public_lab(tmp_path)
    with TestClient(app) as client:
        codes = [client.post("/api/runs", json={}, headers={"Authorization": f"Bearer fl_made_up_{i}"}).status_code
                 for i in range(3)]
        assert codes == [401, 401, 429]


def test_a_known_credential_is_looked_up_once_not_per_request(tmp_path):
    from sqlalchemy import event

    from tests.accounts import bearer

    app, users = public_lab(tmp_path)
    engine = app.state.sessions.kw["bind"]
    token_queries = []
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *a: token_queries.append(statement) if "api_tokens" in statement
                 else None)
    with TestClient(app) as client:
        client.headers.update(bearer(app.state.sessions, users["ada"]))
        assert spend(client) == [422, 422, 429]
        before = len(token_queries)
        assert [client.post("/api/runs", json={}).status_code for _ in range(20)] == [429] * 20
        assert len(token_queries) == before  # refused from the cache: no database work at all
