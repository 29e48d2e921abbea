"""Finding manifest files: ``-f`` takes files or folders; folders mean every ``*.yaml``/``*.yml`` under them.

Effectful (reads the directory tree). Suffixes match in any case (``D.YAML``). Files are returned
sorted and de-duplicated; hidden folders (``.git``, ``.comfyops``, ...) are skipped; a path that does not
exist is a problem, not an empty set. A folder or file under ``-f`` that cannot be read is an error, never
silently skipped: with prune on, a manifest nobody read would become a delete. Symlinked folders are
followed; a symlink loop is reported once and not followed again. Only regular files are manifests: a FIFO
or a device under a ``.yaml`` name is an error.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.diagnostics import Diagnostic, Location, Severity
from reconciler.readfile import kind_of, os_error_message

SUFFIXES = (".yaml", ".yml")
"""Manifest file name endings, matched regardless of case (``a.YAML`` is read too)."""


def is_yaml_name(name: str) -> bool:
    """Whether a file name found by a folder walk ends in a YAML suffix, in any case."""
    return name.lower().endswith(SUFFIXES)


@dataclass
class Collected:
    """The manifest files found, which of them were named explicitly, and the problems met."""

    files: list[Path] = field(default_factory=list)
    explicit: set[Path] = field(default_factory=set)
    problems: list[Diagnostic] = field(default_factory=list)


def display_path(path: Path) -> str:
    """The path as users should see it: relative to the working directory when inside it."""
    try:
        relative = os.path.relpath(os.path.normpath(path))
        if Path(path).is_absolute() and relative.startswith(".."):
            return os.path.normpath(path)  # /dev/null, not ../../dev/null
        return relative
    except ValueError:
        return os.path.normpath(path)


def collect(paths: Iterable[str | Path]) -> tuple[list[Path], list[Diagnostic]]:
    """Every manifest file named by ``paths``, sorted, or problems for paths that cannot be read."""
    found = collect_all(paths)
    return found.files, found.problems


def collect_all(paths: Iterable[str | Path]) -> Collected:
    """Every manifest file named by ``paths`` (sorted), the explicitly named ones, and the problems."""
    result = Collected()
    found: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        where = Location(display_path(path) if str(raw) else str(raw))
        try:
            info = os.stat(path)
        except OSError as exc:
            hint = "check the -f path" if not path.is_symlink() else "fix or remove the symlink"
            result.problems.append(Diagnostic(os_error_message(exc), where, "", hint))
            continue
        if stat.S_ISREG(info.st_mode):
            found.add(path)
            result.explicit.add(path)
        elif stat.S_ISDIR(info.st_mode):
            found.update(_walk(path, result.problems))
        else:
            result.problems.append(
                Diagnostic(
                    f"not a regular file or folder: it is {kind_of(info.st_mode)}",
                    where,
                    "",
                    "point -f at a manifest file or a folder of manifests",
                )
            )
    result.files = sorted(found, key=lambda p: str(p))
    return result


def _walk(root: Path, problems: list[Diagnostic]) -> list[Path]:
    """The ``*.yaml``/``*.yml`` entries under ``root``, following symlinked folders once each."""
    files: list[Path] = []
    root_info = os.stat(root)
    visited = {(root_info.st_dev, root_info.st_ino)}
    stack: list[tuple[Path, frozenset[tuple[int, int]]]] = [(root, frozenset({(root_info.st_dev, root_info.st_ino)}))]
    while stack:
        folder, ancestors = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.append(
                Diagnostic(
                    f"cannot read folder: {os_error_message(exc)}",
                    Location(display_path(folder)),
                    "",
                    "a folder under -f that cannot be read may hold manifests; fix its permissions or pass "
                    "-f for the folders to read",
                )
            )
            continue
        subfolders: list[tuple[Path, frozenset[tuple[int, int]]]] = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                info = os.stat(path)
            except OSError as exc:
                if is_yaml_name(entry.name) or entry.is_symlink():
                    problems.append(Diagnostic(f"cannot read: {os_error_message(exc)}", Location(display_path(path))))
                continue
            if stat.S_ISDIR(info.st_mode):
                key = (info.st_dev, info.st_ino)
                if key in ancestors:
                    problems.append(
                        Diagnostic(
                            "symlink loop: this folder contains itself; not followed again",
                            Location(display_path(path)),
                            severity=Severity.WARNING,
                        )
                    )
                    continue
                if key in visited:  # the same folder reached again through a symlink: already read
                    continue
                visited.add(key)
                subfolders.append((path, ancestors | {key}))
            elif is_yaml_name(entry.name):
                files.append(path)  # non-regular files are refused when read, with what they are
        stack.extend(reversed(subfolders))
    return files
