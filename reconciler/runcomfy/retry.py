"""When to retry a failed RunComfy call: retry, reconcile or escalate, decided from the error.

Pure: no httpx, no clock, no sleeping. The client runs the loop; this module only answers "retry,
reconcile or escalate, and after how long" from the error, the kind of call and the attempt number,
with the shared backoff of :class:`reconciler.retry.RetryPolicy`. Randomness (full jitter) is passed in.

Rules (STYLE.md C.10): 429 is retried for every call, honouring ``Retry-After``, because a rate-limited
request was not applied. A connection that never opened is retried for every call, because nothing was
sent. 5xx, timeouts and resets after sending are retried only for idempotent calls (GET, PATCH,
DELETE). A create that may have landed is *reconciled* (re-list and adopt), never blindly re-sent; any
other POST that may have landed (inference, proxy) escalates. Other 4xx never retry.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import NamedTuple

from reconciler.retry import RetryPolicy
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
