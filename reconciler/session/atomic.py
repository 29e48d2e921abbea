"""Writing a small file so that a reader sees the old or the new content, never half of it.

Effectful. The text goes to a temp file in the same folder, which is renamed over the target; a link at
the target's path is replaced, never written through (a checkout may plant one).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temp file + rename), creating the folder when missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def remove(path: Path) -> bool:
    """Delete ``path`` if it exists (a link itself, never its target); whether there was one."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
