"""Who is asking: an API token, a browser session, or (embedded and not public) the local instructor.

Resolved once per request and kept on `request.state.identity`. A bad token is a 401 at once (a
client that sends one wants to be that user, not anonymous); a stale session cookie is dropped and
the request goes on as if it had none.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session

from forgetlab.core.store import accounts
from forgetlab.core.store.models import User

SESSION_COOKIE = "forgetlab_session"


@dataclass(frozen=True)
class Identity:
    user: User | None
    via: str | None  # "token", "session", "local" (embedded, no login), or None (anonymous)
    session_id: str | None = None  # the stored id (hash) of the browser session, when via == "session"


class Unauthorized(HTTPException):
    """No valid credentials where they are needed: the API answers 401, a page sends the browser to log in."""

    def __init__(self, detail: str = "sign in first (a browser session, or Authorization: Bearer <API token>)"):
        super().__init__(401, detail, headers={"WWW-Authenticate": "Bearer"})


def identify(request: Request, session: Session) -> Identity:
    cached = getattr(request.state, "identity", None)
    if cached is not None:
        return cached
    identity = _resolve(request, session)
    request.state.identity = identity
    return identity


def _resolve(request: Request, session: Session) -> Identity:
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("send an API token as Authorization: Bearer <token>")
        user = accounts.token_user(session, token.strip())
        if user is None:
            raise Unauthorized("this API token is unknown or revoked, or its account is disabled")
        return Identity(user, "token")
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        found = accounts.session_user(session, secret)
        if found is not None:
            return Identity(found[0], "session", found[1])
        request.state.clear_session = True  # expired, logged out elsewhere, or the user disabled
    if not request.app.state.settings.login_required:
        return Identity(accounts.local_user(session), "local")
    return Identity(None, None)


def viewer(request: Request) -> User | None:
    """The user this request was resolved to, if a route resolved one (for templates: the user menu)."""
    identity = getattr(request.state, "identity", None)
    return identity.user if identity is not None else None
