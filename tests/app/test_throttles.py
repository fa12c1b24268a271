"""The brakes of a public lab (app/middleware/throttles.py), through its real forms and API: log-in per account
and address, per address and per account; sign-up per address; runs per address as well as per account.

Addresses come from X-Forwarded-For (trust_proxy), and time from a clock the test moves, so waits are exact."""

import pytest
from fastapi.testclient import TestClient

from forgetlab.app.middleware.throttles import FREE_FAILURES, Throttles
from forgetlab.core.settings import Settings
from forgetlab.core.store import classes
from forgetlab.core.store.db import migrate, session_factory
from tests.accounts import PASSWORD, bearer, make_user, same_site

TINY = {"task_examples": 50, "epochs": 1, "eval_every": 2}


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def lab(tmp_path):
    """(client, sessions, clock, settings) of a public lab behind a proxy, with the brakes on a test clock."""
    from forgetlab.app.main import create_app

    settings = Settings(data_dir=tmp_path, workers=0, database_url=None, redis_url=None, public=True,
                        trust_proxy=True, rate_limit=0, read_rate_limit=0, login_burst=8, login_rate=1.0,
                        login_account_failures=20, signup_burst=3, signup_per_hour=2, max_active_runs=2,
                        max_active_runs_per_address=3)
    migrate(settings.sqlalchemy_url)
    app = create_app(settings)
    clock = Clock()
    app.state.throttles = Throttles.from_settings(settings, clock=clock)
    with TestClient(app) as client:
        yield same_site(client), session_factory(settings.sqlalchemy_url), clock


def log_in(client, name, password, address):
    client.cookies.delete("forgetlab_session")
    same_site(client)  # a log-in before gave this browser a new CSRF token
    return client.post("/login", data={"name": name, "password": password}, follow_redirects=False,
                       headers={"X-Forwarded-For": address})


def test_wrong_passwords_from_one_address_wait_longer_each_time_and_the_owner_elsewhere_is_not_slowed(lab):
    client, sessions, clock = lab
    make_user(sessions, "ada")
    for _ in range(FREE_FAILURES):
        assert log_in(client, "ada", "wrong password", "10.0.0.66").status_code == 401
    waits = []
    for _ in range(3):
        refused = log_in(client, "ada", "wrong password", "10.0.0.66")
        assert refused.status_code == 429 and "try again in" in refused.text
        waits.append(int(refused.headers["retry-after"]))
        clock.now += waits[-1]
        assert log_in(client, "ada", "wrong password", "10.0.0.66").status_code == 401
    assert waits == [1, 2, 4]  # the delay doubles with each failure past the free ones
    clock.now += 3  # not yet the 8 s the next try needs
    assert log_in(client, "ada", PASSWORD, "10.0.0.66").status_code == 429  # refused before the password is read
    assert log_in(client, "ada", PASSWORD, "10.0.0.7").status_code == 303  # ada, from her own address
    clock.now += 8
    assert log_in(client, "ada", PASSWORD, "10.0.0.66").status_code == 303  # a right password clears the wait
    assert log_in(client, "ada", "wrong password", "10.0.0.66").status_code == 401


def test_one_address_cannot_spray_guesses_over_many_accounts(lab):
    client, _, clock = lab
    codes = [log_in(client, f"user{i}", "wrong password", "10.0.0.66").status_code for i in range(12)]
    assert codes[:8] == [401] * 8 and set(codes[8:]) == {429}  # the burst of 8, then 1 a second
    clock.now += 1
    assert log_in(client, "user99", "wrong password", "10.0.0.66").status_code == 401
    assert log_in(client, "user98", "wrong password", "10.0.0.5").status_code == 401  # another address: its own


def test_guesses_from_many_addresses_stop_but_never_lock_the_owner_out(lab):
    client, sessions, clock = lab
    make_user(sessions, "ada")
    assert log_in(client, "ada", PASSWORD, "10.0.0.7").status_code == 303  # her usual address
    for i in range(20):  # the account's allowance of failures, one from each of many addresses
        assert log_in(client, "ada", "wrong password", f"10.1.0.{i}").status_code == 401
    refused = log_in(client, "ada", PASSWORD, "10.2.0.1")  # a new address: even the right password waits
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert log_in(client, "ada", PASSWORD, "10.0.0.7").status_code == 303  # the owner's address: never locked
    clock.now += 3600  # the allowance refills
    assert log_in(client, "ada", PASSWORD, "10.2.0.1").status_code == 303


def test_sign_ups_from_one_address_are_limited(lab):
    client, _, clock = lab

    def sign_up(name, address):
        client.cookies.delete("forgetlab_session")
        same_site(client)
        return client.post("/signup", data={"name": name, "password": PASSWORD}, follow_redirects=False,
                           headers={"X-Forwarded-For": address})

    assert [sign_up(f"new{i}", "10.0.0.66").status_code for i in range(3)] == [303] * 3
    refused = sign_up("new3", "10.0.0.66")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) == 1800  # 2 an hour
    assert "too many new accounts" in refused.text
    assert sign_up("x", "10.0.0.66").status_code == 422  # a bad name is named, and costs no allowance
    assert sign_up("other", "10.0.0.5").status_code == 303
    clock.now += 1800
    assert sign_up("new3", "10.0.0.66").status_code == 303


def test_fresh_accounts_at_one_address_share_one_run_limit(lab):
    client, sessions, _ = lab
    users = [make_user(sessions, f"fresh{i}") for i in range(3)]
    at = {"X-Forwarded-For": "10.0.0.66"}
    codes = []
    for user in users:
        auth = {**at, **bearer(sessions, user)}
        codes += [client.post("/api/runs", json=TINY, headers=auth).status_code for _ in range(2)]
    assert codes == [201, 201, 201, 429, 429, 429]  # each may have 2; the address, 3 together
    refused = client.post("/api/runs", json=TINY, headers={**at, **bearer(sessions, users[2])})  # it has none
    assert refused.json()["errors"][0]["field"] == "quota" and "your address" in refused.json()["detail"]
    elsewhere = {"X-Forwarded-For": "10.0.0.5", **bearer(sessions, make_user(sessions, "fresh9"))}
    assert client.post("/api/runs", json=TINY, headers=elsewhere).status_code == 201  # its own 2, elsewhere
    # A class's students are known to its instructor, and a class behind one NAT shares an address.
    teacher = make_user(sessions, "teach", role="instructor")
    student = make_user(sessions, "pupil")
    with sessions() as session:
        room = classes.create_class(session, name="c", instructor_id=teacher.id)
        classes.join(session, class_id=room.id, user_id=student.id)
    auth = {**at, **bearer(sessions, student)}
    assert [client.post("/api/runs", json=TINY, headers=auth).status_code for _ in range(2)] == [201, 201]
