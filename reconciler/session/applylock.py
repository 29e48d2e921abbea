"""The local apply lock: one ``apply`` at a time per working copy, ``.comfyops/apply.lock``.

The working copy is the repository (the folder holding ``.git``) around the manifests ``-f`` names,
or the manifests' folder outside a repository, so two applies of the same manifests meet at one lock
whichever folder they were started from.

Effectful shell. The lock is an advisory ``flock`` on the file, so the kernel releases it when the
holder exits, however it exits: a lock file left behind by a killed apply is taken over, with a note
naming the process that left it. While held, the file names the holder (pid, host, start time) so a
second apply can say who it is waiting for. ``--lock-timeout`` waits that long before giving up.
Nothing here is shared between machines: two CI runners are kept apart by the workflow's
``concurrency`` group, and by apply's detect-and-back-off after creates (``session.executor``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from reconciler.errors import ReconcilerError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock; apply runs unlocked there
    fcntl = None  # type: ignore[assignment]

POLL_SECONDS = 0.2
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")


def parse_duration(text: str) -> float:
    """Seconds from ``0``, ``30``, ``30s``, ``5m``, ``1h`` or ``500ms`` (Terraform's -lock-timeout style)."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"invalid duration {text!r}: write e.g. 30s, 5m or 0")
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}[match.group(2) or "s"]
    return float(match.group(1)) * scale


def _holder(handle: IO[str]) -> dict[str, Any]:
    handle.seek(0)
    try:
        data = json.loads(handle.read() or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def describe(holder: dict[str, Any]) -> str:
    """The holder as one phrase: ``pid 4242 on ci-runner-1, started 2026-11-27T16:00:00Z``."""
    if not holder:
        return "an unknown process"
    return f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}, started {holder.get('started', '?')}"


@contextlib.contextmanager
def apply_lock(path: Path, *, timeout: float, note: Callable[[str], None], command: str = "apply") -> Iterator[None]:
    """Hold the apply lock at ``path`` (:func:`reconciler.workspace.apply_lock`) for the duration of the block,
    waiting up to ``timeout`` seconds."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held open for the lock's lifetime
    except OSError as exc:
        raise ReconcilerError(
            f"cannot create the apply lock {path}: {exc.strerror}",
            "make the folder writable, or run apply from a writable working copy",
        ) from None
    try:
        deadline = time.monotonic() + timeout
        waited = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(handle)
                if time.monotonic() >= deadline:
                    raise ReconcilerError(
                        f"another apply is running in this working copy: {describe(holder)} (lock {path})",
                        "wait for it to finish, or re-run with --lock-timeout 5m to wait; the lock is released "
                        "when that process exits",
                    ) from None
                if not waited:
                    note(f"waiting for the apply lock held by {describe(holder)} ...")
                    waited = True
                time.sleep(POLL_SECONDS)
        left = _holder(handle)
        if left.get("pid") and left.get("pid") != os.getpid():
            note(f"taking over a stale apply lock left by {describe(left)} (that process is gone)")
        handle.seek(0)
        handle.truncate()
        started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        handle.write(
            json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": started, "command": command})
        )
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()  # an empty file is a released lock; never unlinked (waiters hold this inode)
            handle.flush()
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()
