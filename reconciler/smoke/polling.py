"""Waiting for one inference request: status polls with backoff, a deadline, a stop switch, cancel.

Effectful (API calls, sleeping), with the clock and the sleep injected. Every poll is an ordinary
client call, so it takes a token from the client's one shared bucket; the delay between polls
starts at ``PollPolicy.initial`` and grows by ``factor`` up to ``maximum`` as the job runs, and is
never shorter than the caller's fair share of the rate limit (``floor()``: in-flight requests divided
by requests per second), so many waiters never crowd out the calls that finish a job (result,
delete). Used by ``comfyops smoke`` (through the runner) and ``comfyops run --wait``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from reconciler.runcomfy import errors, wire


class QueueApi(Protocol):
    """The two queue calls waiting needs (``RunComfyClient`` and the runner's paced wrapper fit)."""

    def request_status(self, deployment_id: str, request_id: str) -> wire.RequestStatus:
        """A request's status."""

    def cancel_request(self, deployment_id: str, request_id: str) -> wire.CancelResponse:
        """Cancel a request."""


@dataclass(frozen=True)
class PollPolicy:
    """Seconds between status polls: ``initial``, times ``factor`` after each poll, at most ``maximum``."""

    initial: float = 1.0
    factor: float = 1.5
    maximum: float = 10.0

    def __post_init__(self) -> None:
        if self.initial < 0 or self.factor < 1 or self.maximum < self.initial:
            raise ValueError(f"invalid poll policy: {self!r}")


class Interrupted(Exception):
    """The stop switch was thrown (Ctrl-C elsewhere): cancel and give up."""


class TimedOut(Exception):
    """The deadline passed before the request finished; ``last`` is the last status seen."""

    def __init__(self, last: wire.RequestStatus) -> None:
        super().__init__(f"still {last.status} at the deadline")
        self.last = last


class Pacer:
    """How a waiter tells time and sleeps; a thrown ``stop`` switch ends every pause at once.

    Without an injected ``sleep`` a pause is ``stop.wait(seconds)``, so setting ``stop`` wakes every
    waiter immediately. With one (tests), the pause sleeps, then checks ``stop``.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.clock = clock
        self._sleep = sleep
        self.stop = stop or threading.Event()

    def now(self) -> float:
        """The current time of the injected clock, in seconds."""
        return self.clock()

    def check(self) -> None:
        """Raise :class:`Interrupted` if the stop switch was thrown."""
        if self.stop.is_set():
            raise Interrupted()

    def pause(self, seconds: float) -> None:
        """Sleep ``seconds`` (or until stopped); raise :class:`Interrupted` when stopped."""
        if self._sleep is None:
            self.stop.wait(max(0.0, seconds))
        else:
            self._sleep(max(0.0, seconds))
        self.check()


def wait_for(
    client: QueueApi,
    deployment_id: str,
    request_id: str,
    *,
    deadline: float | None,
    policy: PollPolicy,
    pacer: Pacer,
    on_status: Callable[[wire.RequestStatus], None] | None = None,
    floor: Callable[[], float] | None = None,
) -> wire.RequestStatus:
    """Poll until the request is terminal and return that status.

    Raises :class:`TimedOut` once ``deadline`` (on ``pacer``'s clock) passes, :class:`Interrupted`
    when stopped, and :class:`~reconciler.runcomfy.errors.ApiError` when a poll fails for good (the
    client has already retried it). It never cancels: the caller decides.
    """
    delay = policy.initial
    while True:
        pacer.check()
        status = client.request_status(deployment_id, request_id)
        if on_status is not None:
            on_status(status)
        if status.is_terminal:
            return status
        now = pacer.now()
        if deadline is not None and now >= deadline:
            raise TimedOut(status)
        wait = max(delay, floor() if floor is not None else 0.0)
        if deadline is not None:
            wait = min(wait, deadline - now)
        pacer.pause(wait)
        delay = min(policy.maximum, delay * policy.factor)


def cancel_quietly(client: QueueApi, deployment_id: str, request_id: str) -> str:
    """Cancel a request and say how it went (``cancelled``, ``not_cancellable``, or why it failed)."""
    try:
        return client.cancel_request(deployment_id, request_id).outcome
    except errors.ApiError as error:
        return f"cancel failed: {error.summary}"
