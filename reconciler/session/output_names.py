"""Local file names for a request's outputs: safe, bounded and never the same twice.

Pure. An output's ``filename`` comes from the remote (ARCHITECTURE §8): it may hold ``/`` or ``..``,
be thousands of characters long, or repeat another output's. Each name keeps letters, digits, ``.``,
``_`` and ``-`` (anything else becomes ``_``; no leading dot), is cut to :data:`MAX_NAME` characters
keeping its extension, and a name already taken (case-insensitively, for macOS and Windows file
systems) gets ``-2``, ``-3``, ... before the extension: three outputs named ``out.png`` become
``out.png``, ``out-2.png``, ``out-3.png``, and none overwrites another.
"""

from __future__ import annotations

import re
from collections.abc import Container

MAX_NAME = 120
"""Longest output file name written (file systems allow 255 bytes; this leaves room for a suffix)."""
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def safe_name(text: str, fallback: str = "output") -> str:
    """``text`` as a file name inside the output folder: safe characters only, at most :data:`MAX_NAME`."""
    name = _UNSAFE.sub("_", text).lstrip(".") or fallback
    if len(name) <= MAX_NAME:
        return name
    stem, dot, extension = name.rpartition(".")
    if dot and stem and len(extension) <= 16:
        return f"{stem[: MAX_NAME - len(extension) - 1]}.{extension}"
    return name[:MAX_NAME]


def unique_name(name: str, taken: Container[str]) -> str:
    """``name``, or ``name`` with ``-2``, ``-3``, ... before its extension, whichever is not in ``taken``
    (compared lower-cased: ``taken`` holds lower-cased names)."""
    if name.lower() not in taken:
        return name
    stem, dot, extension = name.rpartition(".")
    if not (dot and stem):
        stem, extension = name, ""
    n = 2
    while True:
        suffix = f"-{n}" + (f".{extension}" if extension else "")
        candidate = stem[: MAX_NAME - len(suffix)] + suffix
        if candidate.lower() not in taken:
            return candidate
        n += 1
