"""Write a text file whole or not at all: a temporary file in the same folder, then a rename.

Effectful (writes files). The new file gets the mode the user's umask gives an ordinary new file
(``0o666 & ~umask``: 0644 under the usual 022), not ``mkstemp``'s private 0600; an existing file keeps
its own mode. A path that is a symlink is refused: the rename would replace the link with a regular
file, and writing through it would change a file outside the tree the user named.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


class UnsafeWriteTarget(OSError):
    """The target is a symlink (or not a regular file): comfyops does not write through it."""


def current_umask() -> int:
    """The process's umask (read by setting and restoring it; comfyops writes files from one thread)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically (temp file + rename), never through a symlink.

    Raises :class:`UnsafeWriteTarget` for a symlink or a non-regular file, ``OSError`` for the rest;
    on any failure no temporary file is left and ``path`` is unchanged.
    """
    try:
        existing = os.lstat(path)
    except FileNotFoundError:
        existing = None
    if existing is not None and stat.S_ISLNK(existing.st_mode):
        raise UnsafeWriteTarget(f"{path} is a symlink; not writing through it")
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        raise UnsafeWriteTarget(f"{path} is not a regular file")
    mode = stat.S_IMODE(existing.st_mode) if existing is not None else 0o666 & ~current_umask()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
