"""When to retry a failed API call, and how long to wait: the retry policy as data plus pure decisions.

Pure: no httpx, no clock, no sleeping. The client runs the loop; this module only answers "retry,
reconcile or escalate, and after how long" from the error, the kind of call and the attempt number.
Randomness (full jitter) and "now" (for an HTTP-date ``Retry-After``) are passed in.

Rules (STYLE.md C.10): 429 is retried for every call, honouring ``Retry-After``, because a rate-limited
request was not applied. A connection that never opened is retried for every call, because nothing was
sent. 5xx, timeouts and resets after sending are retried only for idempotent calls (GET, PATCH,
DELETE). A create that may have landed is *reconciled* (re-list and adopt), never blindly re-sent; any
other POST that may have landed (inference, proxy) escalates. Other 4xx never retry.
"""

from __future__ import annotations

import email.utils
import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from reconciler.runcomfy import errors

RETRY_TAG = "comfyops_retry"
"""``extra`` key on a retried attempt's log record (``METHOD PATH: reason``); without -v the CLI counts them."""
FINAL_TAG = "comfyops_final"
"""``extra`` key on the log record of an attempt that gave up: the raised error reports it."""


class CallKind(enum.StrEnum):
    """How safe a call is to repeat."""

    IDEMPOTENT = "idempotent"
    """GET, PATCH, DELETE (and cancel): repeating has the same effect as sending once."""
    CREATE = "create"
    """POST that creates a deployment: after an ambiguous failure, re-list and adopt."""
    UNSAFE = "unsafe"
    """POST that must not run twice (inference, proxy): retried only if it surely did not land."""


class Action(enum.StrEnum):
    """What the client does after a failed attempt."""

    RETRY = "retry"
    RECONCILE = "reconcile"
    ESCALATE = "escalate"


class Decision(NamedTuple):
    """The outcome of :func:`decide`: the action, the delay before it (seconds) and why."""

    action: Action
    delay: float
    note: str


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

    @property
    def backoffs(self) -> tuple[float, ...]:
        """The backoff ceilings before each retry, as data; its length is the number of retries."""
        return tuple(min(self.cap, self.base * self.factor**n) for n in range(self.max_attempts - 1))

    def backoff(self, attempt: int, rng: Callable[[], float]) -> float:
        """Full-jitter delay after failed attempt ``attempt`` (1-based): ``rng() * ceiling``."""
        ceiling = min(self.cap, self.base * self.factor ** (attempt - 1))
        return rng() * ceiling


def may_have_landed(error: errors.ApiError) -> bool:
    """Whether the server may have acted on the request: 5xx, or a transport failure after sending."""
    if isinstance(error, errors.TransportError):
        return error.may_have_landed
    return isinstance(error, errors.ServerError)


def is_transient(error: errors.ApiError) -> bool:
    """Whether trying again later could succeed: 429, 5xx and transport failures."""
    return isinstance(error, errors.RateLimitedError | errors.ServerError | errors.TransportError)


def decide(
    error: errors.ApiError,
    *,
    kind: CallKind,
    attempt: int,
    policy: RetryPolicy,
    rng: Callable[[], float],
) -> Decision:
    """Retry, reconcile or escalate after failed attempt ``attempt`` (1-based) of a call of ``kind``."""
    if not is_transient(error):
        return Decision(Action.ESCALATE, 0.0, "not retryable")
    if kind is CallKind.CREATE and may_have_landed(error):
        return Decision(Action.RECONCILE, 0.0, "the create may have landed")
    if kind is CallKind.UNSAFE and may_have_landed(error):
        return Decision(Action.ESCALATE, 0.0, "the request may have landed, so it is not re-sent")
    if attempt >= policy.max_attempts:
        return Decision(Action.ESCALATE, 0.0, "out of attempts")
    if error.retry_after is not None:
        if error.retry_after > policy.max_retry_after:
            note = f"server asked to wait {error.retry_after:g}s (over {policy.max_retry_after:g}s)"
            return Decision(Action.ESCALATE, 0.0, note)
        return Decision(Action.RETRY, max(0.0, error.retry_after), "Retry-After")
    return Decision(Action.RETRY, policy.backoff(attempt, rng), "backoff")


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
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
