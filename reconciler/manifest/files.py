"""Finding manifest files: ``-f`` takes files or folders; folders mean every ``*.yaml``/``*.yml`` under them.

Effectful (reads the directory tree). Files are returned sorted and de-duplicated; hidden folders
(``.git``, ``.comfyops``, ...) are skipped; a path that does not exist is a problem, not an empty set.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from reconciler.diagnostics import Diagnostic, Location

SUFFIXES = (".yaml", ".yml")


def display_path(path: Path) -> str:
    """The path as users should see it: relative to the working directory when inside it."""
    try:
        return os.path.relpath(os.path.normpath(path))
    except ValueError:
        return os.path.normpath(path)


def collect(paths: Iterable[str | Path]) -> tuple[list[Path], list[Diagnostic]]:
    """Every manifest file named by ``paths``, sorted, or problems for paths that do not exist."""
    found: set[Path] = set()
    problems: list[Diagnostic] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found.add(path)
        elif path.is_dir():
            found.update(_walk(path))
        else:
            problems.append(Diagnostic("no such file or directory", Location(str(raw)), "", "check the -f path"))
    return sorted(found, key=lambda p: str(p)), problems


def _walk(root: Path) -> list[Path]:
    files: list[Path] = []
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        files.extend(Path(directory) / n for n in names if n.endswith(SUFFIXES) and not n.startswith("."))
    return files
