"""Cross-site request forgery: a request that changes something must come from our own pages.

Every state-changing request (not GET/HEAD/OPTIONS) that does not carry an API token is refused
with 403 when
- the browser says it comes from another site (Sec-Fetch-Site, or else an Origin that is not ours), or
- it goes to a page route (a form or an htmx request) without the CSRF token, or to /api/ with a
  session cookie but without the token.
The token is bound to the browser session: with a session cookie, it is an HMAC of the session's secret
(`session_token`), which only this server and the page it rendered know; a cookie and field chosen by someone
else (planted from a sibling subdomain, say) never match it. Without a session (the log-in and sign-up forms,
the embedded lab's local user) it is a double-submit secret: a random value in the `forgetlab_csrf` cookie
(HttpOnly, SameSite=Lax). Pages repeat the token in every form (hidden input `csrf_token`) and in htmx's
headers (`X-CSRF-Token`, set once in templates/base.html).
Multipart forms carry it in the action's query string: their bodies are streamed with a size limit
(app/http.py) and are not parsed twice.
API calls without a session cookie (curl, the CLI on the embedded lab) need no token: they carry
no cookie a forger could borrow, and browsers always mark cross-site requests, which are refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import HTTPException, Request

from .identity import SESSION_COOKIE

CSRF_COOKIE = "forgetlab_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def session_token(secret: str) -> str:
    """The CSRF token of the browser session whose cookie holds `secret` (an HMAC keyed by it: only who holds
    the cookie, and the pages this server renders for it, can know it)."""
    mac = hmac.new(secret.encode(), b"forgetlab-csrf", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _session_secret(request: Request) -> str | None:
    """The session cookie this request carries and keeps (one being cleared in this response binds nothing)."""
    if getattr(request.state, "clear_session", False):
        return None
    return request.cookies.get(SESSION_COOKIE) or None


def csrf_token(request: Request) -> str:
    """This browser's token: its session's, else its cookie's, or a new one that the response sets as the cookie."""
    secret = _session_secret(request)
    if secret:
        return session_token(secret)
    token = getattr(request.state, "csrf", None)
    if token:
        return token
    token = request.cookies.get(CSRF_COOKIE) or ""
    if not 20 <= len(token) <= 100:
        token = secrets.token_urlsafe(32)
        request.state.csrf_new = token
    request.state.csrf = token
    return token


def rotate(request: Request) -> None:
    """A new token for this browser (on log-in and log-out: no token outlives a change of user)."""
    token = secrets.token_urlsafe(32)
    request.state.csrf = request.state.csrf_new = token


def cross_site(request: Request) -> bool:
    site = request.headers.get("sec-fetch-site")
    if site is not None:  # set by every current browser; proxies cannot spoil it
        return site not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if not origin:
        return False
    return origin == "null" or urlsplit(origin).netloc != request.headers.get("host", "")


async def _sent_token(request: Request) -> str:
    token = request.headers.get(CSRF_HEADER)
    if token:
        return token
    kind = request.headers.get("content-type", "")
    if kind.startswith("application/x-www-form-urlencoded"):
        value = (await request.form()).get(CSRF_FIELD)  # cached: the route reads the same parsed form
        return value if isinstance(value, str) else ""
    return request.query_params.get(CSRF_FIELD, "")


async def csrf_guard(request: Request) -> None:
    """An app-wide dependency (create_app): refuses forged state-changing requests with 403."""
    if request.method in SAFE or request.headers.get("authorization"):
        return
    if cross_site(request):
        raise HTTPException(403, "refused: this request came from another site")
    if request.url.path.startswith("/api/") and SESSION_COOKIE not in request.cookies:
        return
    secret = request.cookies.get(SESSION_COOKIE)
    expected = session_token(secret) if secret else request.cookies.get(CSRF_COOKIE, "")
    sent = await _sent_token(request)
    if not expected or not sent or not hmac.compare_digest(expected.encode(), sent.encode()):
        raise HTTPException(403, "refused: the form's security token is missing or stale; reload the page and "
                                 "try again")
