"""Ctrl-C: the first one interrupts cleanly, a second one exits at once, saying what may still run.

Effectful (installs a SIGINT handler, writes one line to stderr on the second interrupt). The first
Ctrl-C raises ``KeyboardInterrupt`` as Python always does, so the command can stop, send its cancels
and report (exit 130). A second Ctrl-C while that clean-up runs does not wait for it: it prints one
line naming what may still be running (registered with :func:`running`) and exits 130 immediately,
without a traceback.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from types import FrameType

EXIT_CODE = 130
_lock = threading.Lock()
_running: dict[int, str] = {}
_next_key = [0]
_count = [0]


def install() -> None:
    """Handle SIGINT in this process (main thread only; elsewhere Python's default stays)."""
    if threading.current_thread() is not threading.main_thread():
        return
    with contextlib.suppress(ValueError, OSError):
        signal.signal(signal.SIGINT, _handler)


def exit_on_interrupt() -> None:
    """From now on any Ctrl-C exits at once (used while the process is shutting down)."""
    if threading.current_thread() is threading.main_thread():
        with contextlib.suppress(ValueError, OSError):
            signal.signal(signal.SIGINT, _exit_now)


@contextlib.contextmanager
def running(what: str) -> Iterator[None]:
    """Register ``what`` (a request in flight, a change in progress) for the second Ctrl-C's message."""
    with _lock:
        _next_key[0] += 1
        key = _next_key[0]
        _running[key] = what
    try:
        yield
    finally:
        with _lock:
            _running.pop(key, None)


def still_running() -> list[str]:
    """What is registered as running right now, oldest first."""
    with _lock:
        return list(_running.values())


def _handler(signum: int, frame: FrameType | None) -> None:
    _count[0] += 1
    if _count[0] == 1:
        raise KeyboardInterrupt
    _exit_now(signum, frame)


def _exit_now(signum: int, frame: FrameType | None) -> None:
    pending = still_running()
    line = "error: interrupted again: exiting now" if _count[0] > 0 else "error: interrupted"
    if len(pending) == 1:
        line += f"; may still be running: {pending[0]}"
    elif pending:  # every one in full: each is something the user has to finish by hand
        line += f"; {len(pending)} may still be running:\n" + "\n".join(f"  {p}" for p in pending)
    with contextlib.suppress(OSError):
        os.write(2, (line + "\n").encode("utf-8", "replace"))
    os._exit(EXIT_CODE)
