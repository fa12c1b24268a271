"""Cookies the auth layer sets or clears on any response: the CSRF cookie on first sight, and a stale
session cookie's removal. A plain ASGI middleware, so streamed responses (SSE) pass through untouched;
it only reads what the request's handlers left in `request.state`."""

from __future__ import annotations

from http.cookies import SimpleCookie

from .csrf import CSRF_COOKIE
from .identity import SESSION_COOKIE


def cookie_header(name: str, value: str, *, secure: bool, max_age: int | None = None) -> bytes:
    """Set-Cookie: HttpOnly, SameSite=Lax, path /, Secure when the request came over https."""
    cookie = SimpleCookie()
    cookie[name] = value
    morsel = cookie[name]
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "Lax"
    if secure:
        morsel["secure"] = True
    if max_age is not None:
        morsel["max-age"] = max_age
    return morsel.OutputString().encode("latin-1")


class AuthCookies:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        state = scope.setdefault("state", {})

        async def sending(message):
            if message["type"] == "http.response.start":
                secure = scope.get("scheme") == "https"
                extra = []
                if state.get("csrf_new"):
                    extra.append(cookie_header(CSRF_COOKIE, state["csrf_new"], secure=secure, max_age=400 * 86400))
                if state.get("clear_session"):
                    extra.append(cookie_header(SESSION_COOKIE, "", secure=secure, max_age=0))
                if extra:
                    message = {**message, "headers": [*message.get("headers", []),
                                                      *[(b"set-cookie", value) for value in extra]]}
            await send(message)

        await self.app(scope, receive, sending)
