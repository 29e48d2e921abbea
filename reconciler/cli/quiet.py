"""Quiet by default: without ``-v``, retried API attempts are folded into one line at the end.

Effectful shell (a logging handler writing to stderr, through the running command's output object).
The client logs every failed attempt it retries; ``-v`` shows each one. Without it, :func:`install`
puts a handler on the ``reconciler`` logger that counts those records (tagged ``comfyops_retry`` by the
client) and prints every other warning as it comes; :func:`summary_line` is the one line ``main``
prints when the command ends, whether it then succeeded or failed.
"""

from __future__ import annotations

import logging


class RetryTally(logging.Handler):
    """Counts retried attempts, drops the give-up record, and prints other warnings and errors as they come."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.retried = 0
        self.last = ""
        self.comfyops = True  # marks our handlers (see cli._configure_logging)

    def emit(self, record: logging.LogRecord) -> None:
        """Count a retry, drop a give-up, print anything else (its message, as Python's default would)."""
        from reconciler.runcomfy.retry import FINAL_TAG, RETRY_TAG  # here: a command that logs nothing skips it

        failure = getattr(record, RETRY_TAG, None)
        if failure is not None:
            self.retried += 1
            self.last = str(failure)
        elif not getattr(record, FINAL_TAG, False):
            from reconciler.cli import output
            from reconciler.render import safe

            output.current().note(safe.terminal(record.getMessage()))

    def summary(self) -> str:
        """``note: 2 failed API attempts were retried (last: ...); -v shows each attempt``, or ``""``."""
        if not self.retried:
            return ""
        attempts = "attempt was" if self.retried == 1 else "attempts were"
        from reconciler.render import safe

        last = safe.terminal(self.last)  # the API's own words: shown, never acted on
        return f"note: {self.retried} failed API {attempts} retried (last: {last}); -v shows each attempt"


_tally: RetryTally | None = None


def install() -> RetryTally:
    """Fold retry records of the ``reconciler`` logger into one :class:`RetryTally` (idempotent per process)."""
    global _tally
    ours = logging.getLogger("reconciler")
    if _tally is None or _tally not in ours.handlers:
        _tally = RetryTally()
        ours.addHandler(_tally)
    _tally.retried, _tally.last = 0, ""
    ours.propagate = False
    return _tally


def summary_line() -> str:
    """The closing line about retries of this run (``""`` when nothing was retried or ``-v`` was given)."""
    ours = logging.getLogger("reconciler")
    return _tally.summary() if _tally is not None and _tally in ours.handlers else ""
