"""The state of one input, as recorded after a full run and compared before a replay.

Effectful (reads files, lists folders, stats paths). Each function answers a JSON-able value that is
equal for two moments exactly when the input reads the same: a file by its kind, size and the SHA-256
of its content (never its modification time alone), a folder by its sorted listing with each entry's
kind, a checked path by its kind (or ``missing``). Anything that cannot be read raises
:class:`Unreadable`: the caller then neither saves nor replays.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat

from reconciler.workspace import DIR_NAME

_CHUNK = 1024 * 1024
_ABSENT = (errno.ENOENT, errno.ENOTDIR)


class Unreadable(Exception):
    """An input whose state cannot be told (unreadable, not a regular file, a race): no cache."""


def kind(mode: int) -> str:
    """The type of a ``st_mode`` as ``ls -l`` shows it: ``-`` a file, ``d`` a folder, ``l`` a link, ..."""
    return stat.filemode(mode)[0]


def path_kind(path: str, *, follow: bool) -> str:
    """What is at ``path`` (its :func:`kind`, or ``missing``), as ``os.stat`` (or ``os.lstat`` without
    ``follow``) sees it."""
    try:
        info = os.stat(path) if follow else os.lstat(path)
    except OSError as exc:
        if exc.errno in _ABSENT:
            return "missing"
        raise Unreadable(f"cannot stat {path}: {exc.strerror}") from None
    return kind(info.st_mode)


def link_state(path: str) -> str:
    """Where the link at ``path`` points (``-> target``), ``missing``, or ``error <errno>`` (not a link)."""
    try:
        return "-> " + os.fsdecode(os.readlink(path))
    except OSError as exc:
        if exc.errno in _ABSENT:
            return "missing"
        return f"error {exc.errno}"


def spec_state(spec: str) -> str:
    """The state now of one checked path, as the recorder writes it: ``S:``/``L:`` its kind (following
    links or not), ``R:`` where the link points."""
    path = spec[2:]
    if spec.startswith("R:"):
        return link_state(path)
    return path_kind(path, follow=spec.startswith("S:"))


def file_state(path: str) -> list[object]:
    """A file read by the run: whether it is a link, and (following it) its size and content hash; or
    ``["missing"]`` when nothing is there. Anything but a regular file is :class:`Unreadable`."""
    try:
        linked = stat.S_ISLNK(os.lstat(path).st_mode)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno in _ABSENT:
            return ["missing"]
        raise Unreadable(f"cannot read {path}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(f"{path} is not a regular file")
        digest = hashlib.sha256()
        size = 0
        while chunk := os.read(fd, _CHUNK):
            digest.update(chunk)
            size += len(chunk)
    except OSError as exc:
        raise Unreadable(f"cannot read {path}: {exc.strerror}") from None
    finally:
        os.close(fd)
    return ["link" if linked else "file", size, digest.hexdigest()]


def folder_state(path: str) -> str:
    """A folder listed by the run: a digest of its sorted entries and their kinds; ``missing`` when gone.

    ``.comfyops/`` is left out: it is ComfyOps' own state (this cache among it), never a manifest."""
    try:
        with os.scandir(path) as entries:
            lines = sorted(f"{entry.name}\0{_entry_kind(entry)}\n" for entry in entries if entry.name != DIR_NAME)
    except OSError as exc:
        if exc.errno in _ABSENT:
            return "missing"
        raise Unreadable(f"cannot list {path}: {exc.strerror}") from None
    return hashlib.sha256("".join(lines).encode("utf-8", "surrogateescape")).hexdigest()


def _entry_kind(entry: os.DirEntry[str]) -> str:
    """An entry's :func:`kind`, without following links."""
    return kind(entry.stat(follow_symlinks=False).st_mode)
