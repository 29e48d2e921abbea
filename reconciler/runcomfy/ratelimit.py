"""The process-wide token bucket that keeps every API call under the account's rate limit.

Effectful (it blocks), but the clock and the sleep are injected, so tests drive it with a fake clock
and never sleep. One bucket per process, shared by every call of the one ``RunComfyClient``: the limit
is per account (one request per second, short bursts allowed), not per call site. A ``429`` with
``Retry-After`` pauses the whole bucket via :meth:`TokenBucket.penalize`, so every caller waits, not
only the one that was told to. Rate limiting is separate from retrying (STYLE.md C.11).

The bucket is adaptive, so that a run sits on the account's floor instead of under it: it starts at
:data:`HEADROOM` of the limit (a hair under, for the server's clock), slows to :data:`BACKOFF` of its
rate after each ``429`` and creeps back by :data:`RECOVERY` of the limit per answered call. Where the
server says how many calls are left (``RateLimit-Remaining`` / ``X-RateLimit-Remaining`` with a reset),
:meth:`TokenBucket.observe` holds the bucket to that.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Final

from reconciler import catalog

DEFAULT_RATE: Final[float] = catalog.DEFAULT_REQUESTS_PER_SECOND
"""Requests per second: the documented account limit (1.0)."""
DEFAULT_BURST: Final[int] = catalog.DEFAULT_BURST
"""Requests that may go out back to back after an idle spell (5)."""
_EPSILON: Final[float] = 1e-9
_MIN_WAIT: Final[float] = 1e-6  # never ask to sleep for less than a clock can represent
_UNIX_TIME_THRESHOLD: Final[float] = 1e9  # a reset "delay" this large is a Unix timestamp
_MAX_RESET_SECONDS: Final[float] = 3600.0  # a reset further away than this is not believed
HEADROOM: Final[float] = 0.98
"""Fraction of the account's limit the process's bucket starts at. A server's bucket counts arrivals,
ours departures; a call that arrives earlier after its predecessor than it left (the first call paid
for a connection, later ones did not) would draw a ``429`` at exactly the limit. 2% under gives the
server 20 ms more per call, so such slack builds up within a few calls; a ``429`` that still comes
slows the bucket down (:data:`BACKOFF`) for a while."""
BACKOFF: Final[float] = 0.85
"""After a ``429``, the bucket's rate is multiplied by this (never below :data:`MIN_FRACTION` of the limit)."""
RECOVERY: Final[float] = 0.01
"""Per answered call, the bucket's rate regains this fraction of the limit, up to :data:`HEADROOM`."""
MIN_FRACTION: Final[float] = 0.25
"""The slowest the bucket ever goes, as a fraction of the limit."""


class Aborted(Exception):
    """A call waiting for a token gave up because its abort switch was thrown (Ctrl-C)."""


class TokenBucket:
    """A thread-safe token bucket: ``rate`` tokens per second, holding at most ``burst``; starts full.

    With ``limit`` (the account's requests per second) it adapts: :meth:`penalize` slows it down and
    :meth:`succeeded` speeds it back up, never past ``rate``. Without, its rate is fixed.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        limit: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"rate must be > 0 and burst >= 1, got rate={rate!r} burst={burst!r}")
        self.rate = float(rate)
        self.ceiling = self.rate
        self.limit = limit
        self.burst = int(burst)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._last = clock()
        self._paused_until = self._last
        self._priority_waiting = 0

    def acquire(self, *, priority: bool = False, abort: threading.Event | None = None) -> float:
        """Take one token, sleeping (outside the lock) until one is free; returns the seconds waited.

        ``priority`` calls (the cancels sent after Ctrl-C) go first: ordinary callers wait while one is
        waiting, and a priority call may borrow up to ``burst`` tokens ahead rather than queue behind
        polls; the debt slows later calls down. ``abort``: when it is set, a waiting call gives up with
        :class:`Aborted` instead of going out (no new request after Ctrl-C).
        """
        waited = 0.0
        if priority:
            with self._lock:
                self._priority_waiting += 1
        try:
            while True:
                with self._lock:
                    if abort is not None and abort.is_set():
                        raise Aborted()
                    wait = self._take_or_wait(self._clock(), priority=priority)
                if wait <= 0:
                    return waited
                if abort is not None and self._sleep is time.sleep:
                    abort.wait(wait)
                else:
                    self._sleep(wait)
                waited += wait
        finally:
            if priority:
                with self._lock:
                    self._priority_waiting -= 1

    def penalize(self, seconds: float) -> None:
        """Pause every caller for ``seconds`` (a 429's Retry-After) and drop the burst allowance.

        One call may go when the pause ends (the server said when to come back); the rest follow at
        the steady rate instead of firing a burst straight back into the limit that rejected them.
        An adaptive bucket also slows down by :data:`BACKOFF`.
        """
        with self._lock:
            now = self._clock()
            self._refill(now)
            self._tokens = 1.0
            self._paused_until = max(self._paused_until, now + max(0.0, seconds))
            if self.limit is not None:
                self.rate = max(self.limit * MIN_FRACTION, self.rate * BACKOFF)

    def succeeded(self) -> None:
        """A call was answered without a ``429``: an adaptive bucket regains some speed."""
        if self.limit is None or self.rate >= self.ceiling:
            return
        with self._lock:
            self._refill(self._clock())
            self.rate = min(self.ceiling, self.rate + self.limit * RECOVERY)

    def observe(self, remaining: int, reset_seconds: float) -> None:
        """The server said ``remaining`` calls are left until ``reset_seconds`` from now: hold to that."""
        with self._lock:
            now = self._clock()
            self._refill(now)
            if remaining <= 0 and reset_seconds > 0:  # one call may go when the window resets
                self._tokens = 1.0
                self._paused_until = max(self._paused_until, now + reset_seconds)
            else:
                self._tokens = min(self._tokens, float(max(0, remaining)))

    @property
    def available(self) -> float:
        """Tokens available now (fractional); informational, for tests and logs."""
        with self._lock:
            now = self._clock()
            self._refill(now)
            return 0.0 if now < self._paused_until else self._tokens

    def _take_or_wait(self, now: float, *, priority: bool = False) -> float:
        self._refill(now)
        if now < self._paused_until:
            return self._paused_until - now
        if priority:  # may borrow up to `burst` tokens ahead; past that, waits only for the debt to shrink
            if self._tokens - 1.0 >= -self.burst - _EPSILON:
                self._tokens -= 1.0
                return 0.0
            return max((1.0 - self.burst - self._tokens) / self.rate, _MIN_WAIT)
        if self._priority_waiting and not priority:
            return max(1.0 / self.rate, _MIN_WAIT)
        if self._tokens >= 1.0 - _EPSILON:  # float refill sums can land a hair under a whole token
            self._tokens = max(0.0, self._tokens - 1.0)
            return 0.0
        return max((1.0 - self._tokens) / self.rate, _MIN_WAIT)

    def _refill(self, now: float) -> None:
        # Tokens accrue only for time outside a pause.
        start = max(self._last, self._paused_until)
        if now > start:
            self._tokens = min(float(self.burst), self._tokens + (now - start) * self.rate)
        self._last = max(self._last, now)


def server_budget(headers: Mapping[str, str], now_epoch: float) -> tuple[int, float] | None:
    """``(calls left, seconds until the window resets)`` from a response's rate-limit headers, if any.

    Reads the IETF draft's ``RateLimit-Remaining`` / ``RateLimit-Reset`` (seconds) and the common
    ``X-RateLimit-Remaining`` / ``X-RateLimit-Reset`` (seconds, or a Unix time when it looks like one).
    RunComfy documents none of them; they are honoured when a server sends them.
    """
    for prefix in ("ratelimit-", "x-ratelimit-"):
        remaining, reset = headers.get(prefix + "remaining"), headers.get(prefix + "reset")
        if remaining is None:
            continue
        try:
            left = int(remaining.strip())
            seconds = float(reset.strip()) if reset is not None else 0.0
        except ValueError:
            return None
        if seconds > _UNIX_TIME_THRESHOLD:  # a Unix time, not a delay
            seconds -= now_epoch
        return left, min(max(0.0, seconds), _MAX_RESET_SECONDS)
    return None


def account_bucket(
    requests_per_second: float = DEFAULT_RATE,
    burst: int = DEFAULT_BURST,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> TokenBucket:
    """The process's adaptive bucket for an account limit of ``requests_per_second`` (see :data:`HEADROOM`)."""
    return TokenBucket(requests_per_second * HEADROOM, burst, limit=requests_per_second, clock=clock, sleep=sleep)
