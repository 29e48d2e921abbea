"""Reading the files users point us at, safely: regular files only, with a size limit, never blocking.

Effectful (reads one file). Every file comfyops reads from a user's checkout or its own cache goes
through :func:`read_text`: a FIFO named ``x.yaml`` would block forever and a symlink to ``/dev/zero``
would fill memory, so the file is opened without blocking, checked to be a regular file, and read up
to a documented limit. JSON is parsed with :func:`parse_json`, which turns a nesting too deep for
Python's parser into a clean error. Problems are raised as :class:`FileProblem`, whose message is
one line for a :class:`~reconciler.diagnostics.Diagnostic`.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path
from typing import Any

MIB = 1024 * 1024
MANIFEST_LIMIT = 4 * MIB
"""Largest manifest file read (bytes)."""
WORKFLOW_LIMIT = 16 * MIB
"""Largest workflow_api.json read (bytes)."""
OBJECT_INFO_LIMIT = 64 * MIB
"""Largest object_info.json read, on disk or from the download cache (bytes)."""
RECORD_LIMIT = 256 * MIB
"""Largest saved plan, live snapshot, golden picture or record of our own under ``.comfyops/`` read (bytes):
the size cap of an API answer, since a plan or snapshot of the largest account holds about as much."""
SMALL_LIMIT = 16 * MIB
"""Largest small file read: a pause file, a report body to post, a schema file to compare (bytes)."""


class FileProblem(Exception):
    """A file that cannot be read: the one-line reason and a hint."""

    def __init__(self, message: str, hint: str = "", line: int = 0, column: int = 0, *, missing: bool = False
                 ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.line = line
        self.column = column
        self.missing = missing
        """Nothing is at the path (callers that treat a missing file as empty, or say how to make it, ask)."""


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words ('a FIFO', 'a character device', ...)."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def os_error_message(exc: OSError) -> str:
    """A short reason for an OSError, without the path (the caller names it)."""
    if exc.errno == errno.ELOOP:
        return "symlink loop (too many levels of symbolic links)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.ENOENT:
        return "no such file or directory"
    return (exc.strerror or type(exc).__name__).lower()


def human_size(size: int) -> str:
    """A byte count as users read it (8 MiB, 512 KiB, 100 bytes)."""
    if size >= MIB and size % MIB == 0:
        return f"{size // MIB} MiB"
    if size >= MIB:
        return f"{size / MIB:.1f} MiB"
    if size >= 1024:
        return f"{size // 1024} KiB"
    return f"{size} bytes"


def read_bytes(path: Path, *, limit: int) -> bytes:
    """The bytes of the regular file at ``path`` (at most ``limit``), or :class:`FileProblem`."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.EISDIR:
            raise FileProblem("not a regular file: it is a folder") from None
        raise FileProblem(f"cannot read file: {os_error_message(exc)}", missing=exc.errno == errno.ENOENT) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileProblem(f"not a regular file: it is {kind_of(info.st_mode)}", "point -f at a file or folder")
        if info.st_size > limit:
            raise FileProblem(
                f"file is too large ({human_size(info.st_size)}; the limit is {human_size(limit)})",
                "split it into smaller files",
            )
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 * MIB, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise FileProblem(f"file is too large (over {human_size(limit)})", "split it into smaller files")
        return b"".join(chunks)
    except OSError as exc:
        raise FileProblem(f"cannot read file: {os_error_message(exc)}") from None
    finally:
        os.close(fd)


def repository_root(start: Path) -> Path | None:
    """The nearest folder from ``start`` upwards that holds a ``.git`` (a folder, or a worktree's file): the
    repository the files a manifest names must stay inside, and where ``.comfyops/`` lives."""
    here = start.resolve()
    return next((folder for folder in (here, *here.parents) if (folder / ".git").exists()), None)


def is_present(path: Path) -> bool:
    """Whether anything (a file, a folder, a link even to nothing) is at ``path``: the reader says what."""
    return path.exists() or path.is_symlink()


def is_regular_file(path: Path) -> bool:
    """Whether ``path`` is a regular file (following links)."""
    return path.is_file()


def read_text(path: Path, *, limit: int, encoding: str = "utf-8") -> str:
    """The text of the regular file at ``path`` (UTF-8, at most ``limit`` bytes), or :class:`FileProblem`."""
    data = read_bytes(path, limit=limit)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise FileProblem(
            f"file is not UTF-8 text (byte 0x{data[exc.start]:02x} here)", "save it as UTF-8", line, column
        ) from None


def parse_json(text: str) -> Any:
    """``json.loads`` that raises ValueError (not RecursionError) for nesting Python cannot parse."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
