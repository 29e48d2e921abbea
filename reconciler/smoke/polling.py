"""Waiting for one inference request: status polls on a schedule, a deadline, a stop switch, cancel.

Effectful (API calls, sleeping), with the clock and the sleep injected. Every poll is an ordinary
client call, so it takes a token from the client's one shared bucket, and a poll that finds the job
still running is a call wasted. The schedule therefore follows the request's state and age:

- the first poll comes ``PollPolicy.initial`` after the submit, or at the run's expected duration once
  a :class:`DurationEstimate` has seen requests finish;
- while ``in_progress``, the next poll is at the expected end when that is still ahead, else the
  delay grows by ``factor`` up to ``maximum``;
- while ``in_queue``, it backs off faster (``queued_factor``): a queued job is not about to finish;
- no wait is shorter than the caller's fair share of the rate limit (``floor()``: in-flight requests
  divided by requests per second), so many waiters never crowd out the calls that finish a job;
- with ``early`` (the caller's "ask the result endpoint"), the first check asks for the result instead
  of the status, once the request is as old as the run's expected duration (or at the first poll's time
  while nothing has finished yet): the result endpoint answers for a finished request, so a test whose
  job finished on time costs no status poll at all, and one that has not costs the one call a status
  poll would have. What that endpoint answers for an unfinished request is undocumented; ``early``
  returns None for anything but a final result, and waiting goes on with status polls.

Used by ``comfyops smoke`` (through the runner) and ``comfyops run --wait``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from reconciler.runcomfy import errors, wire

R = TypeVar("R")


class QueueApi(Protocol):
    """The two queue calls waiting needs (``RunComfyClient`` and the runner's paced wrapper fit)."""

    def request_status(self, deployment_id: str, request_id: str) -> wire.RequestStatus:
        """A request's status."""

    def cancel_request(self, deployment_id: str, request_id: str) -> wire.CancelResponse:
        """Cancel a request."""


@dataclass(frozen=True)
class PollPolicy:
    """When to poll: ``initial`` after the submit, then delays growing by ``factor`` (``queued_factor``
    while queued) up to ``maximum``; with an expected duration, at ``margin`` times it."""

    initial: float = 1.0
    factor: float = 1.5
    maximum: float = 10.0
    queued_factor: float = 2.0
    margin: float = 1.05

    def __post_init__(self) -> None:
        if (self.initial < 0 or self.factor < 1 or self.queued_factor < 1 or self.margin < 1
                or self.maximum < self.initial):
            raise ValueError(f"invalid poll policy: {self!r}")


SMOKE_POLICY = PollPolicy(initial=5.0, factor=1.5, maximum=30.0)
"""Smoke tests run many requests at once, where every early poll costs a call that another test
needed: the first poll waits 5 s (a ComfyUI job rarely finishes sooner, and a cold start takes
minutes), and the run's own finished requests soon say when to look instead."""


class DurationEstimate:
    """How long this run's requests took from submit to finish, so the others are polled near their end."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: list[float] = []

    def record(self, seconds: float) -> None:
        """One request took ``seconds`` from submit to finish."""
        if seconds >= 0:
            with self._lock:
                self._seen.append(seconds)

    def expected(self) -> float | None:
        """The median duration seen so far, or None before any request finished."""
        with self._lock:
            seen = sorted(self._seen)
        if not seen:
            return None
        middle = len(seen) // 2
        return seen[middle] if len(seen) % 2 else (seen[middle - 1] + seen[middle]) / 2


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
    submitted_at: float | None = None,
    estimate: DurationEstimate | None = None,
    early: Callable[[], R | None] | None = None,
) -> wire.RequestStatus | R:
    """Poll until the request is terminal and return that status, or what ``early`` found.

    ``early`` is the first check, instead of a status poll, made once the request is as old as the run's
    expected duration (at the first poll's time while there is no estimate); a value other than None
    ends the wait, None means "not finished" and status polls follow. Raises :class:`TimedOut` once ``deadline`` (on
    ``pacer``'s clock) passes, :class:`Interrupted` when stopped, and
    :class:`~reconciler.runcomfy.errors.ApiError` when a poll fails for good (the client has already
    retried it). It never cancels: the caller decides.
    """
    started = pacer.now() if submitted_at is None else submitted_at
    expected = estimate.expected() if estimate is not None else None
    next_at = started + (expected * policy.margin if expected is not None else policy.initial)
    delay = policy.initial
    last_call = started  # the fair-share floor spaces this waiter's calls, not its wake-ups
    while True:
        now = pacer.now()
        wait = max(next_at - now, last_call + (floor() if floor is not None else 0.0) - now)
        if deadline is not None:
            wait = min(wait, deadline - now)
        if wait > 0:
            pacer.pause(wait)
        pacer.check()
        due = _due_at(estimate, started, policy) if early is not None else None
        if early is not None and (deadline is None or pacer.now() < deadline):
            if due is not None and pacer.now() < due:  # woken on the first-poll schedule; this run's jobs take longer
                next_at = due
                continue
            found, early = early(), None  # once: an unfinished request is then followed by its status
            last_call = pacer.now()
            if found is not None:
                return found
            delay = min(policy.maximum, delay * policy.factor)
            next_at = pacer.now() + delay
            continue
        status = client.request_status(deployment_id, request_id)
        last_call = pacer.now()
        if on_status is not None:
            on_status(status)
        if status.is_terminal:
            return status
        now = pacer.now()
        if deadline is not None and now >= deadline:
            raise TimedOut(status)
        queued = status.status == "in_queue"
        delay = min(policy.maximum, delay * (policy.queued_factor if queued else policy.factor))
        expected = estimate.expected() if estimate is not None else None
        expected_end = started + expected * policy.margin if expected is not None else None
        next_at = expected_end if expected_end is not None and expected_end > now and not queued else now + delay


def _due_at(estimate: DurationEstimate | None, started: float, policy: PollPolicy) -> float | None:
    """When a request submitted at ``started`` should have finished, by this run's requests so far."""
    expected = estimate.expected() if estimate is not None else None
    return None if expected is None else started + expected * policy.margin


def cancel_quietly(client: QueueApi, deployment_id: str, request_id: str) -> str:
    """Cancel a request and say how it went (``cancelled``, ``not_cancellable``, or why it failed)."""
    try:
        return client.cancel_request(deployment_id, request_id).outcome
    except errors.ApiError as error:
        return f"cancel failed: {error.summary}"
