"""Which runs the cache serves, and the key a run is known by before it starts.

Effectful (reads the working directory, the environment and the installed code's file sizes and times).
The key covers what decides the output but is not an input file: the comfyops version, a fingerprint of
the installed code (every file of the ``reconciler`` package, so an editable install that changes
invalidates, and the folders of installed distributions, so installing or removing one does), the
Python interpreter, the full command line as given, the working directory, the output settings (each
stream's encoding, whether it is a terminal and how wide) and the interpreter's and terminal's environment.
Everything else a run reads is recorded during the run (:mod:`.recorder`) and checked on reuse.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Sequence

FORMAT = 1
"""The cache's layout; a change makes every saved result a miss."""

COMMAND = "validate"
"""The one command whose results are cached."""

_GLOBAL_FLAGS = frozenset({"--emulator", "--no-color"})
_GLOBAL_WITH_VALUE = "--api-url"
_NEVER_CACHED = frozenset({"-h", "--help", "--version", "--no-cache", "-v", "--verbose"})
"""Help and version text, -v logging, and --no-cache: always a full run."""

_KEY_ENV_PREFIXES = ("PYTHON",)
_KEY_ENV = ("NO_COLOR", "TERM", "COLUMNS", "LANG", "LC_ALL", "LC_CTYPE")
"""Environment read before any of our code runs (the interpreter's, the terminal's): always in the key."""


def cacheable(argv: Sequence[str]) -> bool:
    """Whether ``comfyops`` with these arguments is a ``validate`` whose result may be reused or saved.

    Global options may come first; help, ``--version``, ``-v`` and ``--no-cache`` anywhere mean no.
    """
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg in _GLOBAL_FLAGS or arg.startswith(_GLOBAL_WITH_VALUE + "="):
            index += 1
        elif arg == _GLOBAL_WITH_VALUE:
            index += 2
        else:
            break
    if index >= len(argv) or argv[index] != COMMAND:
        return False
    return not any(arg in _NEVER_CACHED for arg in argv)


def value_digest(name: str, value: str | None) -> str:
    """A short digest of one environment variable's value ("unset" when it is not set), never the value."""
    if value is None:
        return "unset"
    return "sha256:" + hashlib.sha256(f"{name}={value}".encode("utf-8", "surrogateescape")).hexdigest()[:16]


def primary_key(argv: Sequence[str]) -> str:
    """The key of a run of ``comfyops *argv`` here and now, before its inputs are known (hex)."""
    from reconciler import __version__

    material = (
        FORMAT,
        __version__,
        sys.version,
        sys.executable,
        tuple(sys.orig_argv),  # how Python was started: -W, -X, -O...
        tuple(sys.path),
        code_fingerprint(),
        tuple(argv),
        os.getcwd(),
        _stream_settings(sys.stdout),
        _stream_settings(sys.stderr),
        sorted((name, value_digest(name, value)) for name, value in os.environ.items()
               if name.startswith(_KEY_ENV_PREFIXES) or name in _KEY_ENV),
    )
    return hashlib.sha256(repr(material).encode("utf-8", "surrogateescape")).hexdigest()


def code_fingerprint() -> str:
    """A digest of the installed code: each file of the ``reconciler`` package (path, size, modification
    time) and the modification time of each installed-distributions folder on ``sys.path``."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    digest = hashlib.sha256()
    for line in _tree(package, ""):
        digest.update(line.encode("utf-8", "surrogateescape"))
    for entry in sys.path:
        if entry.endswith(("site-packages", "dist-packages")):
            try:
                digest.update(f"{entry}\0{os.stat(entry).st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
            except OSError:
                digest.update(f"{entry}\0missing\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _tree(folder: str, relative: str) -> list[str]:
    """One line per file under ``folder`` (``__pycache__`` aside): its path, size and modification time."""
    lines = []
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name == "__pycache__":
                continue
            name = f"{relative}/{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                lines += _tree(entry.path, name)
            else:
                info = entry.stat(follow_symlinks=False)
                lines.append(f"{name}\0{info.st_size}\0{info.st_mtime_ns}\n")
    return lines


def _stream_settings(stream: object) -> tuple[object, ...]:
    """What decides how text printed to ``stream`` comes out: its encoding, whether it is a terminal, and
    then the terminal's width (click wraps usage messages to it)."""
    isatty = getattr(stream, "isatty", None)
    try:
        tty = bool(isatty()) if isatty is not None else None
        width = os.get_terminal_size(stream.fileno()).columns if tty else None  # type: ignore[attr-defined]
    except (OSError, ValueError):
        tty, width = None, None
    return (stream is None, tty, width, getattr(stream, "encoding", None), getattr(stream, "errors", None))
