"""Showing smoke tests as they go: one live line per deployment on a terminal, plain lines elsewhere.

Effectful (writes to a stream; the live view runs a small refresh thread). The runner only calls
:meth:`Progress.update` with a phase (``submitting``, ``queued``, ``running``, ``checking``,
``done``) and never prints itself; tests pass a recorder or :class:`NullProgress`. The live view
redraws its block in place with ANSI cursor movement and ticks the elapsed times twice a second;
:class:`LineProgress` prints one line per phase change, for CI logs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from reconciler.render import safe


class Progress(Protocol):
    """Receives phase changes from the runner (from several threads)."""

    def update(self, name: str, phase: str, detail: str = "") -> None:
        """Deployment ``name`` entered ``phase``; ``detail`` is a short note (a request id, a result)."""

    def close(self) -> None:
        """The run is over: draw the final state and stop refreshing."""


class Stream(Protocol):
    """Where a display writes: a text stream (the command's masked stderr)."""

    def write(self, text: str, /) -> int:
        """Write ``text`` as it is."""

    def flush(self) -> None:
        """Push what was written out."""


class NullProgress:
    """Shows nothing."""

    def update(self, name: str, phase: str, detail: str = "") -> None:
        """Ignore the update."""

    def close(self) -> None:
        """Nothing to close."""

    def interrupt(self, message: str) -> None:
        """Ignore the notice."""


class _Rows:
    def __init__(self, names: Sequence[str], clock: Callable[[], float]) -> None:
        self.clock = clock
        self.lock = threading.Lock()
        self.rows: dict[str, tuple[str, str, float | None, float | None]] = {
            n: ("waiting", "", None, None) for n in names
        }

    def set(self, name: str, phase: str, detail: str) -> bool:
        with self.lock:
            old_phase, old_detail, started, ended = self.rows.get(name, ("waiting", "", None, None))
            now = self.clock()
            started = started if started is not None or phase == "waiting" else now
            ended = now if phase == "done" else ended
            self.rows[name] = (phase, detail, started, ended)
            return (old_phase, old_detail) != (phase, detail)

    def line(self, name: str, width: int) -> str:
        phase, detail, started, ended = self.rows[name]
        elapsed = "" if started is None else f"{(ended or self.clock()) - started:6.1f}s"
        return f"{safe.terminal(name):<{width}}  {phase:<10} {elapsed:>7}  {safe.terminal(detail)}".rstrip()


class LineProgress:
    """One plain line per phase change: ``[   3.2s] name: running``."""

    def __init__(self, stream: Stream, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream
        self._clock = clock
        self._start = clock()
        self._rows = _Rows((), clock)

    def update(self, name: str, phase: str, detail: str = "") -> None:
        """Print the change if it is one."""
        if not self._rows.set(name, phase, detail):
            return
        note = f" {safe.terminal(detail)}" if detail else ""
        with self._rows.lock:
            self._stream.write(f"[{self._clock() - self._start:7.1f}s] {safe.terminal(name)}: {phase}{note}\n")
            self._stream.flush()

    def close(self) -> None:
        """Nothing to finish: every line is already out."""

    def interrupt(self, message: str) -> None:
        """Print the Ctrl-C notice as a line of its own."""
        with self._rows.lock:
            self._stream.write(message + "\n")
            self._stream.flush()


class LiveProgress:
    """A block of one line per deployment, redrawn in place with elapsed times."""

    def __init__(
        self, stream: Stream, names: Sequence[str], *, clock: Callable[[], float] = time.monotonic,
        interval: float = 0.5,
    ) -> None:
        self._stream = stream
        self._names = list(names)
        self._width = max((len(n) for n in self._names), default=0)
        self._rows = _Rows(self._names, clock)
        self._drawn = 0
        self._stop = threading.Event()
        self._frozen = False
        self._draw()
        self._thread = threading.Thread(target=self._tick, args=(interval,), name="smoke-progress", daemon=True)
        self._thread.start()

    def update(self, name: str, phase: str, detail: str = "") -> None:
        """Record the change and redraw."""
        if name not in self._names:
            self._names.append(name)
            self._width = max(self._width, len(name))
        if self._rows.set(name, phase, detail):
            self._draw()

    def close(self) -> None:
        """Stop ticking and leave the final block on screen (as it was at Ctrl-C, after one)."""
        self._stop.set()
        self._thread.join(timeout=2)
        if not self._frozen:
            self._draw()

    def interrupt(self, message: str) -> None:
        """Ctrl-C: stop redrawing at once and print ``message`` under the block."""
        self._stop.set()
        with self._rows.lock:
            self._frozen = True
            self._stream.write(message + "\n")
            self._stream.flush()

    def _tick(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self._draw()

    def _draw(self) -> None:
        with self._rows.lock:
            if self._frozen:
                return
            up = f"\x1b[{self._drawn}F" if self._drawn else ""
            lines = [f"\x1b[2K{self._rows.line(n, self._width)}" for n in self._names]
            self._stream.write(up + "\n".join(lines) + ("\n" if lines else ""))
            self._stream.flush()
            self._drawn = len(lines)


def make_progress(stream: Stream, names: Sequence[str], *, live: bool | None = None) -> Progress:
    """A live view when ``stream`` is a terminal (or ``live`` says so), else plain lines."""
    if live is None:
        isatty = getattr(stream, "isatty", None)
        live = bool(isatty and isatty())
    return LiveProgress(stream, names) if live else LineProgress(stream)
