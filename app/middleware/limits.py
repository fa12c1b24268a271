"""Bounded input and load: request body limits (413) and per-client rate limits (429 + Retry-After).

Both are plain ASGI middleware, so they act before FastAPI reads or parses anything: a body declared
too large is refused unread, and a body sent without a length is counted while it arrives and refused
as soon as it passes the limit, never held whole. Rate limits are token buckets in this process,
keyed by the signed-in user when the request carries an API token or session cookie we know
(rate_keys.py, cached), else by the client's address (the first X-Forwarded-For hop when
`trust_proxy` is set): one bucket for requests that change something (POST, PUT, PATCH, DELETE) and a
larger one for reads. Queue quotas per user (how many runs one may have waiting) are core/quotas.py's;
these limits bound the request rate of any client, signed in or not.
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass

from forgetlab.core import datasets
from forgetlab.core.settings import Settings

from ..http import MAX_UPLOAD_BODY, error_body
from .rate_keys import UserKeys

# Dataset and suite uploads have their own, larger limit (checked again, field by field, in app/http.py's
# read_upload).
UPLOAD_PATHS = ("/api/datasets", "/datasets", "/api/suites", "/suites")
EXEMPT_PREFIXES = ("/static/",)  # vendored files: cached by browsers, cheap, and needed by every page
MAX_CLIENTS = 10_000  # buckets kept; past this, full (idle) buckets are dropped first
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def send_json(send, status: int, body: dict, headers: list[tuple[bytes, bytes]] = ()) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": payload})


class BodyLimit:
    """413 for a request body over the limit: by Content-Length before reading, else while counting."""

    def __init__(self, app, settings: Settings):
        self.app, self.limit = app, settings.max_body_bytes

    def _limit_for(self, path: str) -> int:
        return max(self.limit, MAX_UPLOAD_BODY) if path in UPLOAD_PATHS else self.limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        limit = self._limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or len(declared) > 15:
                return await send_json(send, 400, error_body("bad Content-Length", {"content-length": "not a number of bytes"}))
            if int(declared) > limit:
                return await self._too_large(send, limit, scope["path"], int(declared))
            return await self.app(scope, receive, send)
        # No declared length (chunked): read it here, counting, up to the limit; then replay it.
        chunks, seen = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > limit:
                return await self._too_large(send, limit, scope["path"])
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body, replayed = b"".join(chunks), False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send, limit: int, path: str, size: int | None = None) -> None:
        if path in UPLOAD_PATHS:  # the form's field is the file: say so in the dataset's own words
            error = datasets.TooLarge(size)
            body = error_body(error.message, {error.field: error.message})
        else:
            body = error_body(f"the request body is over the limit of {limit} bytes", {"body": f"at most {limit} bytes"})
        await send_json(send, 413, body, headers=[(b"connection", b"close")])


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class TokenBuckets:
    """`rate` tokens per second up to `burst`, per key. take() says how long to wait when it is empty."""

    def __init__(self, rate: float, burst: int, clock=time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.buckets: dict[str, _Bucket] = {}
        self.lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when a token was taken; else the seconds until one is there (nothing is taken)."""
        now = self.clock()
        with self.lock:
            bucket = self.buckets.get(key)
            if bucket is None:
                if len(self.buckets) >= MAX_CLIENTS:
                    self._prune(now)
                bucket = self.buckets[key] = _Bucket(float(self.burst), now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
            bucket.stamp = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / self.rate

    def _prune(self, now: float) -> None:
        full = [k for k, b in self.buckets.items() if b.tokens + (now - b.stamp) * self.rate >= self.burst]
        for key in full or list(self.buckets)[: len(self.buckets) // 2]:
            del self.buckets[key]


def client_key(scope, trust_proxy: bool) -> str:
    if trust_proxy:
        forwarded = dict(scope["headers"]).get(b"x-forwarded-for")
        if forwarded:
            return forwarded.split(b",")[0].strip().decode("latin-1")[:64]
    client = scope.get("client")
    return client[0] if client else "unknown"


def request_address(request) -> str:
    """A route's view of client_key: the address the limits and brakes (throttles.py) key this request by."""
    return client_key(request.scope, request.app.state.settings.trust_proxy)


class RateLimit:
    """429 with Retry-After once a client has used its burst and goes faster than the sustained rate."""

    def __init__(self, app, settings: Settings, sessions=None):
        self.app, self.trust_proxy = app, settings.trust_proxy
        self.users = UserKeys(sessions) if sessions is not None else None  # None: by address only
        self.writes = TokenBuckets(settings.rate_limit, settings.rate_burst) if settings.rate_limit else None
        self.reads = TokenBuckets(settings.read_rate_limit, settings.read_burst) if settings.read_rate_limit else None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PREFIXES):
            return await self.app(scope, receive, send)
        buckets = self.writes if scope["method"] in WRITE_METHODS else self.reads
        wait = buckets.take(await self._key(scope)) if buckets is not None else 0.0
        if not wait:
            return await self.app(scope, receive, send)
        retry = max(1, math.ceil(wait))
        kind = "changes" if buckets is self.writes else "reads"
        reason = f"at most {buckets.rate:g} {kind} per second (bursts of {buckets.burst})"
        await send_json(send, 429, error_body(f"too many requests: slow down and retry in {retry} s", {"rate": reason}),
                        headers=[(b"retry-after", str(retry).encode())])

    async def _key(self, scope) -> str:
        user_id = await self.users.user_id(dict(scope["headers"])) if self.users is not None else None
        return f"user:{user_id}" if user_id is not None else "addr:" + client_key(scope, self.trust_proxy)
