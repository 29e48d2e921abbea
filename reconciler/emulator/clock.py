"""Clocks for the emulator: request lifecycles are derived from persisted timestamps and "now".

Every time the emulator reads comes from a :class:`Clock`, so tests can freeze or fast-forward
time (:class:`FakeClock`) and ``comfyops emulator serve --speed N`` can run a lifecycle N times
faster than the wall clock (:class:`ScaledClock`). Times are Unix epoch seconds (floats).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Anything with ``now()`` returning Unix epoch seconds."""

    def now(self) -> float:
        """The current time in epoch seconds."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> float:
        """The current wall-clock time in epoch seconds."""
        return time.time()


class ScaledClock:
    """A clock that starts at the wall clock and runs ``speed`` times faster than it."""

    def __init__(self, speed: float = 1.0) -> None:
        """Anchor the clock at the current wall-clock time; ``speed`` must be positive."""
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._anchor = time.time()
        self._start = time.monotonic()

    def now(self) -> float:
        """Anchor plus elapsed real time multiplied by ``speed``."""
        return self._anchor + (time.monotonic() - self._start) * self.speed


class FakeClock:
    """A clock that moves only when told to (thread-safe)."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        """Start at ``start`` epoch seconds (a fixed date in 2025 by default)."""
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        """The frozen current time."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``."""
        with self._lock:
            self._now += seconds

    def set(self, epoch_seconds: float) -> None:
        """Jump to an absolute time."""
        with self._lock:
            self._now = epoch_seconds


def iso(epoch_seconds: float) -> str:
    """ISO 8601 in UTC with an explicit ``+00:00`` offset, as the API writes timestamps."""
    return datetime.fromtimestamp(epoch_seconds, UTC).isoformat()
