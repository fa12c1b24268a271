"""Test helpers for accounts: make users, sign a client in (browser session or API token), and act as the
lab's own pages do (the CSRF cookie and header that templates/base.html gives htmx).

    user = make_user(sessions, "ada", role="student")
    login(client, "ada")                         # a browser session; the client keeps the cookie
    client.headers.update(bearer(sessions, user))  # or an API token
"""

from __future__ import annotations

from forgetlab.app.auth.csrf import session_token
from forgetlab.app.auth.identity import SESSION_COOKIE
from forgetlab.core.store import accounts

PASSWORD = "correct horse battery"
CSRF = "test-csrf-token-0123456789abcdef"  # any 20-100 characters: the cookie and the header must match


def same_site(client):
    """Send what the lab's own pages send: the CSRF cookie and the X-CSRF-Token header. Returns the client.

    Signed in, the token is the session's (app/auth/csrf.py session_token); else the cookie's: keeps the
    cookie the lab set (it sets a new one on log-in and log-out), else sets one."""
    jar = [c for c in client.cookies.jar if c.name == "forgetlab_csrf"]
    token = jar[-1].value if jar else CSRF
    client.cookies.delete("forgetlab_csrf")
    client.cookies.set("forgetlab_csrf", token)
    session = [c for c in client.cookies.jar if c.name == SESSION_COOKIE]
    client.headers["X-CSRF-Token"] = session_token(session[-1].value) if session else token
    return client


def make_user(sessions, name: str, role: str = "student", password: str = PASSWORD):
    with sessions() as session:
        return accounts.create_user(session, name=name, password=password, role=role)


def login(client, name: str, password: str = PASSWORD):
    """Log in through the real form; the client keeps the session cookie. Returns the response (303)."""
    same_site(client)
    response = client.post("/login", data={"name": name, "password": password}, follow_redirects=False)
    assert response.status_code == 303, response.text
    same_site(client)  # the log-in gave this browser a new CSRF token
    return response


def bearer(sessions, user, name: str = "test") -> dict[str, str]:
    """A fresh API token of `user`, as the Authorization header."""
    with sessions() as session:
        _, token = accounts.create_token(session, user=user, name=name)
    return {"Authorization": f"Bearer {token}"}
