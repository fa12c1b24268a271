"""Brakes on guessing passwords, making accounts and queueing runs from one address (a public lab).

Kept in this process beside the request rate limits (limits.py), in the same bounded way: the web process
that answers the form keeps the counts, in embedded and distributed mode alike (behind several web
processes each keeps its own, so the limits below are per process). Addresses are limits.py's client_key:
the socket's, or the first X-Forwarded-For hop when `trust_proxy` is set.

Log-in (`LoginThrottle`), three brakes, checked before the password is (argon2 is the expensive part):
- per account and address: the first FREE_FAILURES wrong passwords cost nothing; after that each one doubles
  the wait before that address may try that account again (1 s, 2 s, 4 s ... up to MAX_DELAY). A right
  password clears it. Someone guessing from one address slows to a crawl; the real user elsewhere is untouched.
- per address: at most `login_burst` tries at once, then `login_rate` a second, whatever the accounts: one
  address cannot spray guesses over many accounts, nor flood argon2 and slow everyone else down.
- per account, looser: past `account_failures` wrong passwords an hour from all addresses together, only
  addresses that logged in to the account before (in the last SEEN_DAYS) may still try it. Guesses spread over
  many addresses stop; the real user, at an address they used, is never locked out by them.
Each refusal is a 429 with Retry-After, before the password is checked.

Sign-up (`Throttles.signup`): `signup_burst` accounts at once per address, then `signup_per_hour`.
Runs (`AddressBook`): which accounts submitted from an address lately, so a quota can count their runs together
(core/quotas.py check_address): many fresh accounts from one address share one queue limit.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

from .limits import MAX_CLIENTS, TokenBuckets

FREE_FAILURES = 5  # wrong passwords per account and address before any wait
MAX_DELAY = 15 * 60.0  # the longest wait between two tries of one account from one address
ACCOUNT_WINDOW = 3600.0  # account_failures are counted over this many seconds (a bucket that refills)
SEEN_DAYS = 30.0  # an address that logged in to an account this recently may try it past the account cap
ADDRESS_DAYS = 1.0  # an account that submitted from an address this recently counts toward its quota


class Throttled(Exception):
    """Refused for now: wait `retry_after` seconds; `reason` says which brake, for the person."""

    def __init__(self, reason: str, retry_after: float):
        super().__init__(reason)
        self.reason, self.retry_after = reason, max(1, math.ceil(retry_after))


@dataclass
class _Failures:
    count: int = 0
    until: float = 0.0  # no try before this time


@dataclass
class LoginThrottle:
    login_rate: float = 0.5
    login_burst: int = 10
    account_failures: int = 50
    clock: object = time.monotonic
    pairs: dict = field(default_factory=dict)  # (account, address) -> _Failures
    seen: dict = field(default_factory=dict)  # (account, address) -> time of the last good log-in
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):  # login_rate 0: every brake off
        self.addresses = TokenBuckets(self.login_rate or 1, self.login_burst, clock=self.clock)
        self.accounts = TokenBuckets(self.account_failures / ACCOUNT_WINDOW, self.account_failures, clock=self.clock)

    @property
    def on(self) -> bool:
        return self.login_rate > 0

    def check(self, account: str, address: str) -> None:
        """Throttled when this try must wait; otherwise it may go on to the password check."""
        if not self.on:
            return
        now, key = self.clock(), (account, address)
        with self.lock:
            pair = self.pairs.get(key)
        if pair is not None and pair.until > now:
            raise Throttled(f"{pair.count} wrong passwords for this account from your address: wait before the "
                            "next try", pair.until - now)
        wait = self.addresses.take(address)
        if wait:
            raise Throttled("too many log-in tries from your address", wait)
        if self._account_capped(account, now) and not self._known(key, now):
            raise Throttled("too many wrong passwords for this account from many addresses; it can still be "
                            "used from an address that logged in to it before", ACCOUNT_WINDOW
                            / self.account_failures)

    def failed(self, account: str, address: str) -> None:
        if not self.on:
            return
        now = self.clock()
        with self.lock:
            if len(self.pairs) >= MAX_CLIENTS:
                self._prune(now)
            pair = self.pairs.setdefault((account, address), _Failures())
            pair.count += 1
            if pair.count >= FREE_FAILURES:
                pair.until = now + min(MAX_DELAY, 2.0 ** (pair.count - FREE_FAILURES))
        self.accounts.take(account)  # one failure: one token of the account's hourly allowance

    def succeeded(self, account: str, address: str) -> None:
        if not self.on:
            return
        with self.lock:
            self.pairs.pop((account, address), None)
            if len(self.seen) >= MAX_CLIENTS:
                cutoff = self.clock() - SEEN_DAYS * 86400
                self.seen = {k: t for k, t in self.seen.items() if t > cutoff}
            self.seen[(account, address)] = self.clock()

    def _account_capped(self, account: str, now: float) -> bool:
        with self.accounts.lock:
            bucket = self.accounts.buckets.get(account)
            return bucket is not None and bucket.tokens + (now - bucket.stamp) * self.accounts.rate < 1

    def _known(self, key: tuple[str, str], now: float) -> bool:
        with self.lock:
            last = self.seen.get(key)
        return last is not None and now - last < SEEN_DAYS * 86400

    def _prune(self, now: float) -> None:
        idle = [k for k, p in self.pairs.items() if p.until <= now - MAX_DELAY]
        for key in idle or list(self.pairs)[: len(self.pairs) // 2]:
            del self.pairs[key]


class AddressBook:
    """Which accounts submitted runs from each address lately (ADDRESS_DAYS), bounded like the buckets."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.users: dict[str, dict[int, float]] = {}
        self.lock = threading.Lock()

    def note(self, address: str, user_id: int) -> list[int]:
        """Remember that `user_id` submits from `address`; returns every account that did so lately."""
        now = self.clock()
        with self.lock:
            if address not in self.users and len(self.users) >= MAX_CLIENTS:
                self.users.pop(next(iter(self.users)))  # the oldest address first
            seen = self.users.setdefault(address, {})
            seen[user_id] = now
            for other in [u for u, t in seen.items() if now - t > ADDRESS_DAYS * 86400]:
                del seen[other]
            return sorted(seen)


@dataclass
class Throttles:
    """The app's brakes (app.state.throttles), made from its settings."""

    login: LoginThrottle
    signups: TokenBuckets | None  # None: sign-ups not limited
    addresses: AddressBook

    def signup(self, address: str) -> None:
        """Throttled when this address made its allowance of accounts lately."""
        wait = self.signups.take(address) if self.signups is not None else 0.0
        if wait:
            raise Throttled("too many new accounts from your address", wait)

    @classmethod
    def from_settings(cls, settings, clock=time.monotonic) -> Throttles:
        return cls(LoginThrottle(settings.login_rate, settings.login_burst, settings.login_account_failures,
                                 clock=clock),
                   TokenBuckets(settings.signup_per_hour / 3600, settings.signup_burst, clock=clock)
                   if settings.signup_per_hour else None,
                   AddressBook(clock=clock))
