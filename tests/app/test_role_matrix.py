"""The role matrix: every route of the app has a declared policy, and every route answers every role as designed.

1. `test_every_route_declares_a_policy` walks app.routes: each FastAPI route must carry a policy dependency
   (app/auth/policy.py: CurrentUser, MemberUser, InstructorUser, OptionalUser, require(...), PUBLIC, or an
   object dependency built on them such as RunDep); the few that are not FastAPI routes must be listed in
   app.auth.UNGUARDED. A new route without a policy fails here.
2. `test_every_route_is_in_the_matrix`: each (method, path) must have a row in CASES: tests/app/role_matrix/
   cases.py (runs, data, accounts, pages) or class_cases.py (classes and assignments). A new route without a
   row fails here: add one.
3. `test_the_matrix` sends each row's request as each role, in a lab with log-in on, and checks the status.

Roles: anonymous; guest; student (ada, who owns the objects the rows make); other (bob, another student);
instructor (teach, who has no class with ada: classes add that link); admin (root: an instructor's powers
plus the user admin, and no class of its own); token (ada's API token, no cookie); revoked (a revoked
token of ada). Only admins manage accounts and roles. Browsers (anonymous to instructor) hold a session cookie and the CSRF
token, as the lab's own pages do: the CSRF guard is tested in test_auth.py, this is about who may do what.

Not signed in: the API answers 401 and a page redirects to /login (303): "AUTH" below. An object the
role may not see is a 404, like an unknown id; one it sees but may not change, a 403.
"""

from __future__ import annotations

import pytest
from fastapi import routing
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from forgetlab.app.auth import UNGUARDED, policy_of
from forgetlab.core.settings import Settings
from forgetlab.core.store import accounts
from forgetlab.core.store.db import migrate, session_factory
from tests.accounts import bearer, login, make_user, same_site

from .role_matrix import cases, class_cases
from .role_matrix.lab import AUTH, ROLES, Lab

CASES = cases.CASES + class_cases.CLASS_CASES


def _app(tmp_path):
    from forgetlab.app.main import create_app

    # Rate limits, log-in and sign-up brakes and run quotas off: the matrix sends hundreds of requests from one
    # client in seconds (the brakes have their own tests: tests/app/test_throttles.py).
    settings = Settings(data_dir=tmp_path, workers=0, database_url=None, redis_url=None, public=True,
                        rate_limit=0, read_rate_limit=0, login_rate=0, signup_per_hour=0, max_active_runs=0,
                        max_active_runs_per_address=0)
    migrate(settings.sqlalchemy_url)
    return create_app(settings), session_factory(settings.sqlalchemy_url)


def _routes(app):
    """(method, path, route context) of every route: app.routes, with included routers flattened."""
    for route in routing.iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute):
            for method in sorted(route.methods):
                yield method, route.path, route
        else:
            yield None, route.path, route


def _policies(dependant) -> list:
    found = [policy_of(dependant.call)] if dependant.call is not None and policy_of(dependant.call) else []
    for sub in dependant.dependencies:
        found += _policies(sub)
    return found


def test_every_route_declares_a_policy(tmp_path):
    app, _ = _app(tmp_path)
    missing = []
    for method, path, route in _routes(app):
        if path in UNGUARDED:
            continue
        if method is None or not _policies(route.dependant):
            missing.append(f"{method or '*'} {path}")
    assert not missing, "routes without a policy (app/auth/policy.py):\n" + "\n".join(missing)


def test_every_route_is_in_the_matrix(tmp_path):
    app, _ = _app(tmp_path)
    covered = {(c.method, c.template) for c in CASES}
    missing = [f"{m} {p}" for m, p, _ in _routes(app) if m and p not in UNGUARDED and (m, p) not in covered]
    assert not missing, "routes with no row in tests/app/role_matrix/ (cases.py, class_cases.py):\n" + "\n".join(missing)
    stale = [f"{m} {p}" for m, p in covered - {(m, p) for m, p, _ in _routes(app)}]
    assert not stale, "rows for routes that no longer exist:\n" + "\n".join(stale)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    app, sessions = _app(tmp_path_factory.mktemp("matrix"))
    with TestClient(app) as client:
        lab = Lab(client, sessions)
        for name, role in (("ada", "student"), ("bob", "student"), ("gus", "guest"), ("teach", "instructor"),
                           ("root", "admin")):
            lab.users[name] = make_user(sessions, name, role=role)
        browsers = {"anonymous": same_site(TestClient(app))}
        for role, name in (("guest", "gus"), ("student", "ada"), ("other", "bob"), ("instructor", "teach"),
                           ("admin", "root")):
            browsers[role] = TestClient(app)
            login(browsers[role], name)
        browsers["token"] = TestClient(app, headers=bearer(sessions, lab.users["ada"]))
        revoked = bearer(sessions, lab.users["ada"], name="revoked")
        with sessions() as session:
            row = accounts.list_tokens(session, user=lab.users["ada"])[0]
            accounts.revoke_token(session, user=lab.users["ada"], token_id=row.id)
        browsers["revoked"] = TestClient(app, headers=revoked)
        lab.browsers = browsers
        yield lab


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.template}")
def test_the_matrix(lab, case):
    wrong = []
    for role in ROLES:
        path, kwargs = case.request(lab)
        client = lab.browsers[role]
        if case.template == "/logout" and role not in ("token", "revoked"):
            client = same_site(TestClient(client.app))  # log out a fresh browser, not the matrix's own
            if role != "anonymous":
                login(client, {"guest": "gus", "student": "ada", "other": "bob", "instructor": "teach",
                               "admin": "root"}[role])
        response = client.request(case.method, path, follow_redirects=False, **kwargs)
        want = case.codes[role]
        if want == AUTH:
            want = 401 if path.startswith("/api/") else 303
            if want == 303 and not response.headers.get("location", "").startswith("/login"):
                want = "303 to /login"
        if response.status_code != want:
            wrong.append(f"{role}: {response.status_code} (want {want}) {response.text[:120]!r}")
    assert not wrong, f"{case.method} {case.template}:\n" + "\n".join(wrong)
