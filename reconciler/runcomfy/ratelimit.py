"""The process-wide token bucket that keeps every API call under the account's rate limit.

Effectful (it blocks), but the clock and the sleep are injected, so tests drive it with a fake clock
and never sleep. One bucket per process, shared by every call of the one ``RunComfyClient``: the limit
is per account (one request per second, short bursts allowed), not per call site. A ``429`` with
``Retry-After`` pauses the whole bucket via :meth:`TokenBucket.penalize`, so every caller waits, not
only the one that was told to. Rate limiting is separate from retrying (STYLE.md C.11).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Final

from reconciler.runcomfy import catalog

DEFAULT_RATE: Final[float] = catalog.DEFAULT_REQUESTS_PER_SECOND
"""Requests per second: the documented account limit (1.0)."""
DEFAULT_BURST: Final[int] = catalog.DEFAULT_BURST
"""Requests that may go out back to back after an idle spell (5)."""
_EPSILON: Final[float] = 1e-9
_MIN_WAIT: Final[float] = 1e-6  # never ask to sleep for less than a clock can represent
HEADROOM: Final[float] = 0.9
"""Fraction of the account's limit the process's bucket runs at. Requests reach the server with jitter
(threads, the event loop, the network): two calls sent 1.00 s apart can arrive 0.98 s apart and draw a
``429``. Running 10% under the limit absorbs that (measured: 20 concurrent smoke tests, zero 429s)."""


class Aborted(Exception):
    """A call waiting for a token gave up because its abort switch was thrown (Ctrl-C)."""


class TokenBucket:
    """A thread-safe token bucket: ``rate`` tokens per second, holding at most ``burst``; starts full."""

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"rate must be > 0 and burst >= 1, got rate={rate!r} burst={burst!r}")
        self.rate = float(rate)
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
        """
        with self._lock:
            now = self._clock()
            self._refill(now)
            self._tokens = 1.0
            self._paused_until = max(self._paused_until, now + max(0.0, seconds))

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


def account_bucket(
    requests_per_second: float = DEFAULT_RATE,
    burst: int = DEFAULT_BURST,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> TokenBucket:
    """The process's bucket for an account limit of ``requests_per_second``, run at :data:`HEADROOM` of it."""
    return TokenBucket(requests_per_second * HEADROOM, burst, clock=clock, sleep=sleep)
