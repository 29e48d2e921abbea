"""``reconcile --watch``: passes in a loop, one at a time, with jitter, back-off and a clean stop.

Effectful (it sleeps). Each pass is a callable that returns whether it succeeded; the loop waits ``interval``
plus up to 10% jitter between passes (so many watchers never hit the API in step), doubles the wait after each
failed pass up to :data:`MAX_BACKOFF_FACTOR` times the interval (at least one hour), and stops as soon as
``stop`` is set (SIGTERM, Ctrl-C): a running pass finishes first, a wait ends at once.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass

JITTER_FRACTION = 0.1
MAX_BACKOFF_FACTOR = 16
MIN_MAX_BACKOFF_SECONDS = 3600.0


def next_wait(interval: float, failures: int, jitter: float) -> float:
    """Seconds to wait before the next pass: ``interval`` doubled per consecutive failure (capped), plus
    ``jitter`` (0..1) of 10% of it."""
    cap = max(interval * MAX_BACKOFF_FACTOR, MIN_MAX_BACKOFF_SECONDS) if failures else interval
    base = min(interval * 2.0 ** min(failures, 30), cap)
    return base + base * JITTER_FRACTION * jitter


@dataclass
class WatchResult:
    """How many passes ran and how many of them failed."""

    passes: int = 0
    failures: int = 0


def watch(
    one_pass: Callable[[int], bool],
    *,
    interval: float,
    stop: threading.Event,
    max_passes: int | None = None,
    rng: Callable[[], float] = random.random,
    on_wait: Callable[[float], None] = lambda seconds: None,
) -> WatchResult:
    """Run ``one_pass(number)`` until ``stop`` is set (or ``max_passes`` ran); it returns False when it failed."""
    result = WatchResult()
    consecutive = 0
    while not stop.is_set():
        result.passes += 1
        ok = one_pass(result.passes)
        consecutive = 0 if ok else consecutive + 1
        result.failures += 0 if ok else 1
        if stop.is_set() or (max_passes is not None and result.passes >= max_passes):
            break
        wait = next_wait(interval, consecutive, rng())
        on_wait(wait)
        if stop.wait(wait):
            break
    return result
