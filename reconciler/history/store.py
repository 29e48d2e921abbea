"""The history file: ``.comfyops/history.jsonl`` (or ``COMFYOPS_HISTORY``), one JSON entry per line.

Effectful (files, a lock). Every change appends one line (a later line for the same request wins),
so a crash loses at most the line being written and several commands can append at once (one
small write each; a compaction racing another command's append may drop that line). The file
is bounded: once it holds more than :data:`MAX_LINES` lines it is rewritten, atomically, with the
newest :data:`KEEP_REQUESTS` requests, so it never grows past about 2,000 lines (roughly 700 KB).
Unreadable lines (a torn write, a hand edit) are skipped and counted, never fatal.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from reconciler import readfile, workspace
from reconciler.errors import ReconcilerError
from reconciler.history.entry import Entry, from_json, latest

KEEP_REQUESTS: Final[int] = 1000
"""Requests kept when the file is compacted (the newest by submission)."""
MAX_LINES: Final[int] = 2 * KEEP_REQUESTS
"""Lines the file may hold before it is compacted."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Snapshot:
    """The history as read: one entry per request (oldest first) and how many lines were unreadable."""

    entries: tuple[Entry, ...]
    skipped_lines: int = 0


class HistoryStore:
    """The request history of one working directory; safe to share between threads."""

    def __init__(self, path: Path | None = None, *, clock: Callable[[], datetime] = _utcnow) -> None:
        """Use the history at ``path`` (default :func:`reconciler.workspace.history_file`); ``clock`` is
        injectable for tests."""
        self.path = path if path is not None else workspace.history_file()
        self.clock = clock
        self._lock = threading.Lock()

    def read(self) -> Snapshot:
        """Every request in the history (latest state of each), oldest submission first."""
        with self._lock:
            lines = self._lines()
        entries, skipped = [], 0
        for line in lines:
            try:
                found = from_json(json.loads(line))
            except ValueError:
                found = None
            if found is None:
                skipped += 1
            else:
                entries.append(found)
        return Snapshot(tuple(latest(entries)), skipped)

    def write(self, *entries: Entry) -> None:
        """Record ``entries`` (new requests or new states of known ones); compact when the file is full."""
        if not entries:
            return
        text = "".join(json.dumps(e.to_json(), sort_keys=True, separators=(",", ":")) + "\n" for e in entries)
        with self._lock:
            try:
                workspace.append_text(self.path, text)
                if self._line_count() > MAX_LINES:
                    self._compact()
            except workspace.UnsafePath as exc:
                raise ReconcilerError(f"cannot write the request history: {exc}") from exc
            except OSError as exc:
                raise ReconcilerError(
                    f"cannot write the request history {self.path}: {exc.strerror or exc}",
                    f"Fix the folder's permissions, or set {workspace.HISTORY_ENV} to a writable file.",
                ) from exc

    def find(self, request_id: str) -> Entry | None:
        """The latest entry of ``request_id``, or None when the history does not know it."""
        return next((e for e in self.read().entries if e.request_id == request_id), None)

    def _lines(self) -> list[str]:
        text = self._bytes().decode("utf-8", errors="replace")
        return [line + "\n" for line in text.split("\n") if line.strip()]

    def _line_count(self) -> int:
        return self._bytes().count(b"\n")

    def _bytes(self) -> bytes:
        """The history file as it is (empty when there is none); a FIFO, a folder or a huge file is an error."""
        try:
            return readfile.read_bytes(self.path, limit=readfile.RECORD_LIMIT)
        except readfile.FileProblem as exc:
            if exc.missing:
                return b""
            raise ReconcilerError(f"cannot read the request history {self.path}: {exc.message}") from None

    def _compact(self) -> None:
        kept = []
        for line in self._lines():
            with contextlib.suppress(ValueError):
                found = from_json(json.loads(line))
                if found is not None:
                    kept.append(found)
        newest = latest(kept)[-KEEP_REQUESTS:]
        workspace.write_text(
            self.path, "".join(json.dumps(e.to_json(), sort_keys=True, separators=(",", ":")) + "\n" for e in newest)
        )
