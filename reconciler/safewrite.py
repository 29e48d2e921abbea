"""Write a text file whole or not at all, with the mode an ordinary new file gets (``fmt``, ``import``).

Effectful (writes files), through :func:`reconciler.workspace.write_bytes` (temp file in the same folder,
then a rename; a symlink or non-regular file at the path is refused, never written through nor replaced).
The new file gets the mode the user's umask gives an ordinary new file (``0o666 & ~umask``: 0644 under the
usual 022), not ``mkstemp``'s private 0600; an existing file keeps its own mode.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from reconciler import workspace

UnsafeWriteTarget = workspace.UnsafePath
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
    mode = stat.S_IMODE(existing.st_mode) if existing is not None else 0o666 & ~current_umask()
    workspace.write_bytes(path, text.encode("utf-8"), mode=mode)
