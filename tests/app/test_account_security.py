"""A signed-in account's defences: a new password revokes the account's API tokens (unless asked to keep them),
and the CSRF token is the session's, so a cookie and field pair chosen by someone else is refused."""

import re

from fastapi.testclient import TestClient

from forgetlab.app.auth.csrf import session_token
from tests.accounts import PASSWORD, bearer, login, make_user, same_site

TINY = {"task_examples": 50, "epochs": 1, "eval_every": 2}


def test_a_new_password_revokes_the_accounts_tokens_unless_kept(public):
    client, sessions = public
    ada = make_user(sessions, "ada")
    token = bearer(sessions, ada)
    login(client, "ada")
    assert client.get("/api/me", headers=token).status_code == 200
    form = client.get("/account").text
    assert 'name="keep_tokens"' in form
    r = client.post("/account/password", data={"current": PASSWORD, "new": "another password 1"})
    assert r.status_code == 200 and "1 API token was revoked" in r.text
    fresh = TestClient(client.app)
    assert fresh.get("/api/me", headers=token).status_code == 401

    kept = bearer(sessions, ada)
    r = client.post("/account/password", data={"current": "another password 1", "new": "another password 2",
                                               "keep_tokens": "true"})
    assert r.status_code == 200 and "Your password is changed" in r.text and "was revoked" not in r.text
    assert TestClient(client.app).get("/api/me", headers=kept).status_code == 200


def test_the_csrf_token_is_bound_to_the_session(public):
    client, sessions = public
    make_user(sessions, "ada")
    login(client, "ada")
    run = client.post("/api/runs", json=TINY)
    assert run.status_code == 201  # the session's own token (tests/accounts.py sends it, as the pages do)
    page = client.get("/account").text
    secret = client.cookies.get("forgetlab_session")
    assert f'value="{session_token(secret)}"' in page
    # An attacker who plants a cookie and a matching field (no Origin, no Sec-Fetch-Site) is refused.
    planted = "planted-token-0123456789abcdef"
    client.cookies.delete("forgetlab_csrf")
    client.cookies.set("forgetlab_csrf", planted)
    for send in ({"headers": {"X-CSRF-Token": planted}},
                 {"headers": {"X-CSRF-Token": ""}, "data": {"csrf_token": planted}}):
        r = client.post(f"/runs/{run.json()['id']}/cancel", follow_redirects=False, **send)
        assert r.status_code == 403
    # Another session's token is no good either.
    other = TestClient(client.app)
    login(other, "ada")
    assert other.headers["X-CSRF-Token"] != client.headers["X-CSRF-Token"]
    r = client.post(f"/runs/{run.json()['id']}/cancel", headers={"X-CSRF-Token": other.headers["X-CSRF-Token"]},
                    follow_redirects=False)
    assert r.status_code == 403
    same_site(client)
    assert client.post(f"/runs/{run.json()['id']}/cancel", follow_redirects=False).status_code == 303


def test_log_in_and_sign_up_forms_still_work_without_a_session(public):
    client, sessions = public
    make_user(sessions, "ada")
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/login", data={"name": "ada", "password": PASSWORD, "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303
