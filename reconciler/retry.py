"""The retry policy as data, and reading when a server says to come back: shared by every API client.

Pure: no HTTP library, no clock, no sleeping. Each client (RunComfy's, GitHub's) runs its own loop and
decides which of its errors are retryable; this module holds what they share: exponential backoff with
full jitter (:class:`RetryPolicy`) and parsing ``Retry-After`` / ``Date`` headers. Randomness and "now"
are passed in.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: attempt n waits uniform(0, min(cap, base * factor**(n-1)))."""

    base: float = 0.5
    factor: float = 2.0
    cap: float = 30.0
    max_attempts: int = 5
    max_retry_after: float = 120.0
    """A ``Retry-After`` longer than this escalates instead of blocking the command."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base < 0 or self.factor < 1 or self.cap < 0:
            raise ValueError(f"invalid retry policy: {self!r}")

    def backoff(self, attempt: int, rng: Callable[[], float]) -> float:
        """Full-jitter delay after failed attempt ``attempt`` (1-based): ``rng() * ceiling``."""
        ceiling = min(self.cap, self.base * self.factor ** (attempt - 1))
        return rng() * ceiling


def retry_after_seconds(header_value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP-date); None if absent or bad.

    ``now`` is the reference for an HTTP-date (best: the response's own ``Date``, immune to clock skew).
    A date in the past gives 0.
    """
    if header_value is None or not header_value.strip():
        return None
    value = header_value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    when = http_date(value)
    if when is None:
        return None
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def http_date(value: str | None) -> datetime | None:
    """Parse an HTTP-date header (e.g. ``Date``) to an aware datetime; None if absent or malformed."""
    if not value:
        return None
    import email.utils  # here, not at the top: the email package is slow to import and most commands need none

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
