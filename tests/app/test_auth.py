"""Accounts on the web: the embedded lab asks nobody to log in; a public lab does; sessions, tokens, CSRF,
ownership and the admin page, through the real app, database and forms (docs/accounts.md)."""

import re

from fastapi.testclient import TestClient

from tests.accounts import PASSWORD, bearer, login, make_user, same_site

TINY = {"task_examples": 50, "epochs": 1, "eval_every": 2}


def test_the_embedded_lab_asks_nobody_to_log_in(client):
    me = client.get("/api/me").json()
    assert me["name"] == "local" and me["role"] == "admin" and me["via"] == "local"
    assert client.get("/").status_code == 200 and client.get("/admin/users").status_code == 200
    run_id = client.post("/api/runs", json=TINY).json()["id"]
    assert client.get(f"/api/runs/{run_id}").json()["owner_id"] == me["id"]
    # curl and the CLI on this computer need no token and no CSRF header (they carry no cookie to forge with)
    bare = TestClient(client.app)
    assert bare.post("/api/runs", json=TINY).status_code == 201


def test_a_public_lab_sends_pages_to_log_in_and_the_api_answers_401(public):
    client, _ = public
    r = client.get("/runs?status=queued", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/runs%3Fstatus%3Dqueued"
    r = client.get("/api/runs")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert client.get("/runs", headers={"HX-Request": "true"}).headers["HX-Redirect"].startswith("/login")
    assert client.get("/login").status_code == 200 and client.get("/api/health").status_code in (200, 503)


def test_sign_up_log_out_and_log_in_again(public):
    client, _ = public
    same_site(client)
    r = client.post("/signup", data={"name": "Ada", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "forgetlab_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http here; see the https test
    same_site(client)
    assert client.get("/api/me").json() == {"id": 1, "name": "ada", "role": "student", "via": "session"}
    assert client.post("/logout", follow_redirects=False).status_code == 303
    assert client.get("/api/me").status_code == 401
    same_site(client)  # log-out gave this browser a new CSRF token
    r = client.post("/login", data={"name": "ada", "password": "not it at all"})
    assert r.status_code == 401 and "do not match" in r.text
    login(client, "ada")
    assert client.get("/api/me").json()["name"] == "ada"


def test_bad_sign_ups_name_the_field(public):
    client, sessions = public
    make_user(sessions, "ada")
    same_site(client)
    for data, field in [({"name": "ada", "password": PASSWORD}, "taken"),
                        ({"name": "x", "password": PASSWORD}, "2-32 characters"),
                        ({"name": "bob", "password": "short"}, "at least 8")]:
        r = client.post("/signup", data=data)
        assert r.status_code == 422 and field in r.text


def test_session_cookies_are_secure_over_https(public):
    client, sessions = public
    make_user(sessions, "ada")
    secure = TestClient(client.app, base_url="https://testserver")
    same_site(secure)
    r = secure.post("/login", data={"name": "ada", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]


def test_cross_site_posts_are_refused(client):
    """Forms posted from another site (no token: the SameSite cookie stays home), or marked cross-site by the
    browser, are 403, on the local lab too: /runs, /sweeps, /runs/{id}/cancel."""
    run_id = client.post("/api/runs", json=TINY).json()["id"]
    forger = TestClient(client.app)
    for path in ("/runs", "/sweeps", f"/runs/{run_id}/cancel"):
        assert forger.post(path, data={"task_examples": "50"}).status_code == 403
        # even with the right token, a browser that says "cross-site" is refused
        assert client.post(path, data={"task_examples": "50"}, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
        assert client.post(path, data={"task_examples": "50"}, headers={"Origin": "http://evil.example"}).status_code == 403
    assert forger.post(f"/api/runs/{run_id}/cancel", headers={"Origin": "http://evil.example"}).status_code == 403
    assert client.get(f"/api/runs/{run_id}").json()["status"] == "queued"
    # a wrong token is no token
    assert client.post(f"/runs/{run_id}/cancel", headers={"X-CSRF-Token": "x" * 40}).status_code == 403


def test_pages_carry_the_token_in_forms_and_htmx_headers(client):
    page = client.get("/").text
    token = re.search(r'hx-headers=\'\{"X-CSRF-Token": "([^"]+)"\}\'', page).group(1)
    assert f'name="csrf_token" value="{token}"' in page
    # a browser's first visit gets the cookie that token is checked against
    fresh = TestClient(client.app)
    r = fresh.get("/")
    cookie = r.headers["set-cookie"]
    assert "forgetlab_csrf=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', r.text).group(1)
    assert fresh.post("/runs", data={**{k: str(v) for k, v in TINY.items()}, "csrf_token": form_token},
                      follow_redirects=False).status_code == 303


def test_tokens_from_the_account_page_work_until_revoked(public):
    client, sessions = public
    make_user(sessions, "ada")
    login(client, "ada")
    r = client.post("/account/tokens", data={"name": "laptop"})
    assert r.status_code == 201
    token = re.search(r'<code id="new-token">([^<]+)</code>', r.text).group(1)
    api = TestClient(client.app, headers={"Authorization": f"Bearer {token}"})
    assert api.get("/api/me").json()["via"] == "token"
    assert api.post("/api/runs", json=TINY).status_code == 201  # no CSRF token needed with a bearer token
    token_id = re.search(r'/account/tokens/(\d+)/revoke', client.get("/account").text).group(1)
    assert client.post(f"/account/tokens/{token_id}/revoke", follow_redirects=False).status_code == 303
    assert api.get("/api/me").status_code == 401
    assert api.get("/api/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_a_password_change_needs_the_current_one(public):
    client, sessions = public
    make_user(sessions, "ada")
    login(client, "ada")
    assert client.post("/account/password", data={"current": "wrong one!", "new": "brand new pass"}).status_code == 422
    assert client.post("/account/password", data={"current": PASSWORD, "new": "short"}).status_code == 422
    assert client.post("/account/password", data={"current": PASSWORD, "new": "brand new pass"}).status_code == 200
    assert client.get("/api/me").status_code == 200  # this session stays
    login(TestClient(client.app), "ada", "brand new pass")


def test_students_see_and_change_only_their_own_runs(public):
    client, sessions = public
    ada, bob = make_user(sessions, "ada"), make_user(sessions, "bob")
    as_ada = TestClient(client.app, headers=bearer(sessions, ada))
    as_bob = TestClient(client.app, headers=bearer(sessions, bob))
    other, run_id = (as_ada.post("/api/runs", json=TINY).json()["id"] for _ in range(2))
    assert [r["id"] for r in as_ada.get("/api/runs").json()["runs"]] == [run_id, other]
    assert as_bob.get("/api/runs").json()["runs"] == []
    assert as_bob.get(f"/api/runs/{run_id}").status_code == 404  # not "forbidden": it does not say it exists
    assert as_bob.post(f"/api/runs/{run_id}/cancel").status_code == 404
    assert as_ada.get(f"/api/compare?runs={run_id},{other}").status_code == 200
    assert as_bob.get(f"/api/compare?runs={run_id},{other}").status_code == 404
    # shared: bob and guests may look, not change
    assert as_ada.post(f"/api/runs/{run_id}/share", json={"shared": True}).json()["shared"] is True
    assert as_bob.get(f"/api/runs/{run_id}").status_code == 200
    assert as_bob.post(f"/api/runs/{run_id}/cancel").status_code == 403
    guest = TestClient(client.app, headers=bearer(sessions, make_user(sessions, "gus", role="guest")))
    assert guest.get(f"/api/runs/{run_id}").status_code == 200
    assert guest.post("/api/runs", json=TINY).status_code == 403
    assert as_ada.post(f"/api/runs/{run_id}/cancel").json()["status"] == "cancelled"
    assert as_bob.delete(f"/api/runs/{run_id}").status_code == 403
    assert as_ada.delete(f"/api/runs/{run_id}").status_code == 204
    assert as_ada.get(f"/api/runs/{run_id}").status_code == 404


def test_admins_manage_users(public):
    client, sessions = public
    make_user(sessions, "teach", role="admin")
    bob = make_user(sessions, "bob")
    as_bob = TestClient(client.app, headers=bearer(sessions, bob))
    login(client, "teach")
    assert "bob" in client.get("/admin/users").text
    assert as_bob.get("/admin/users").status_code == 403
    r = client.post(f"/admin/users/{bob.id}", data={"role": "guest"}, follow_redirects=False)
    assert r.status_code == 303 and as_bob.get("/api/me").json()["role"] == "guest"
    assert client.post(f"/admin/users/{bob.id}", data={"role": "wizard"}).status_code == 422
    assert client.post(f"/admin/users/{bob.id}", data={"disabled": "true"}, follow_redirects=False).status_code == 303
    assert as_bob.get("/api/me").status_code == 401  # a disabled account's tokens stop working
    me = client.get("/api/me").json()["id"]
    assert client.post(f"/admin/users/{me}", data={"disabled": "true"}).status_code == 422  # not yourself
    assert client.post("/admin/users/999", data={"role": "guest"}).status_code == 404
    r = client.post("/admin/users", data={"name": "cleo", "password": PASSWORD, "role": "student"},
                    follow_redirects=False)
    assert r.status_code == 303
    login(TestClient(client.app), "cleo")
