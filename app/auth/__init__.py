"""Accounts on the web side: who is asking (identity.py), what they may call (policy.py), and the
cross-site request guard (csrf.py, cookies.py). The account pages are app/pages/account.py; the data
functions core/store/accounts.py; who sees which run core/store/access.py."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

from .cookies import AuthCookies, cookie_header
from .csrf import CSRF_FIELD, CSRF_HEADER, csrf_guard, csrf_token
from .identity import SESSION_COOKIE, Identity, Unauthorized, identify, viewer
from .policy import (
    ADMIN,
    GUEST,
    INSTRUCTOR,
    PUBLIC,
    STUDENT,
    AdminUser,
    CurrentUser,
    InstructorUser,
    MemberUser,
    OptionalUser,
    Policy,
    current_user,
    policy_of,
    require,
)

# Routes that are not FastAPI routes and so carry no policy dependency: static files and the API docs
# (they show the API's shape, never data). The role-matrix test accepts these paths and no others.
UNGUARDED = {"/static": "static files", "/openapi.json": "the API's schema", "/docs": "API docs",
             "/docs/oauth2-redirect": "API docs", "/redoc": "API docs"}


def install(app: FastAPI) -> None:
    """The cookie middleware (sessions and the CSRF cookie). Not signed in is answered by app/errors.py."""
    app.add_middleware(AuthCookies)


def set_session_cookie(request: Request, response: Response, secret: str, *, days: float) -> None:
    request.state.clear_session = False
    response.raw_headers.append((b"set-cookie", cookie_header(SESSION_COOKIE, secret,
                                                               secure=request.url.scheme == "https",
                                                               max_age=int(days * 86400))))


def clear_session_cookie(request: Request) -> None:
    request.state.clear_session = True


__all__ = ["ADMIN", "CSRF_FIELD", "CSRF_HEADER", "GUEST", "INSTRUCTOR", "PUBLIC", "SESSION_COOKIE", "STUDENT", "UNGUARDED",
           "AdminUser", "CurrentUser", "Identity", "InstructorUser", "MemberUser", "OptionalUser", "Policy", "Unauthorized",
           "csrf_guard", "csrf_token", "current_user", "identify", "install", "policy_of", "require",
           "set_session_cookie", "viewer"]
