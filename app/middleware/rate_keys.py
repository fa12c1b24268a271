"""Whose bucket a request draws from (limits.py): the signed-in user's when it carries an API token or a
session cookie we know, else its client address.

Keying by user keeps a class behind one NAT from sharing one bucket, and keeps one user from getting a fresh
bucket per address. The credential is looked up by its SHA-256 (as the auth layer stores it) and the answer
kept for TTL seconds, so a client that keeps calling costs one indexed lookup per TTL, not one per request,
and a request refused with 429 never reaches the database. The cache only picks a bucket: whether the
credential is still good (revoked, expired, disabled) is for the auth layer to say on every request.
A credential we do not know draws from its address's bucket, so a client cannot make new buckets by
sending made-up tokens.
"""

from __future__ import annotations

import threading
import time

from anyio import to_thread
from sqlalchemy import select
from starlette.requests import cookie_parser

from forgetlab.core.store.accounts import digest
from forgetlab.core.store.models import ApiToken, UserSession, utcnow

from ..auth.identity import SESSION_COOKIE

TTL = 30.0  # seconds a looked-up credential keeps its user (or its "unknown")
MAX_ENTRIES = 10_000  # past this, expired entries go first, then the oldest half


def credential(headers: dict[bytes, bytes]) -> tuple[str, str] | None:
    """("token" | "session", the secret's SHA-256) of a request's credential, or None."""
    auth = headers.get(b"authorization", b"").decode("latin-1")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "token", digest(token.strip())
    cookies = headers.get(b"cookie")
    if cookies:
        secret = cookie_parser(cookies.decode("latin-1")).get(SESSION_COOKIE)
        if secret:
            return "session", digest(secret)
    return None


class UserKeys:
    """Maps a request's credential to its user's id, through a small TTL cache in front of the database."""

    def __init__(self, sessions, *, ttl: float = TTL, clock=time.monotonic):
        self.sessions, self.ttl, self.clock = sessions, ttl, clock
        self.cache: dict[tuple[str, str], tuple[int | None, float]] = {}
        self.lock = threading.Lock()
        self.lookups = 0  # database lookups made (the tests read it)

    async def user_id(self, headers: dict[bytes, bytes]) -> int | None:
        found = credential(headers)
        if found is None:
            return None
        now = self.clock()
        with self.lock:
            hit = self.cache.get(found)
        if hit is not None and hit[1] > now:
            return hit[0]
        user_id = await to_thread.run_sync(self._lookup, *found)
        with self.lock:
            if len(self.cache) >= MAX_ENTRIES:
                self._prune(now)
            self.cache[found] = (user_id, now + self.ttl)
        return user_id

    def _lookup(self, kind: str, hashed: str) -> int | None:
        self.lookups += 1
        with self.sessions() as session:
            if kind == "token":
                row = session.execute(select(ApiToken.user_id, ApiToken.revoked_at)
                                      .where(ApiToken.token_hash == hashed)).first()
                return row.user_id if row is not None and row.revoked_at is None else None
            row = session.execute(select(UserSession.user_id, UserSession.expires_at)
                                  .where(UserSession.id == hashed)).first()
            return row.user_id if row is not None and row.expires_at >= utcnow() else None

    def _prune(self, now: float) -> None:
        expired = [k for k, (_, until) in self.cache.items() if until <= now]
        for key in expired or list(self.cache)[: len(self.cache) // 2]:
            del self.cache[key]
