"""Rego source files: finding them, reading them, and locating things in them for messages.

Effectful only in :func:`collect`, which reads files. Everything else is pure text handling: the
package a file declares, the rules it defines, and the line and column of a byte offset or a word.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from reconciler import readfile
from reconciler.diagnostics import Diagnostic, Location

_PACKAGE = re.compile(r"^\s*package\s+([A-Za-z_][\w.]*)", re.MULTILINE)


@dataclass(frozen=True)
class Module:
    """One Rego file: the name it is shown and loaded under, and its text."""

    name: str
    source: str

    @property
    def package(self) -> str | None:
        """The package the file declares (``main`` for ``package main``)."""
        match = _PACKAGE.search(self.source)
        return match.group(1) if match else None

    @property
    def is_test(self) -> bool:
        """Whether this is a test file (``*_test.rego``), run only by ``comfyops policy test``."""
        return self.name.endswith("_test.rego")

    def rules(self, prefix: str = "") -> list[str]:
        """Names of the rules defined at the start of a line, in order, each once (``test_`` ones with prefix)."""
        found: list[str] = []
        for match in re.finditer(rf"^({re.escape(prefix)}[A-Za-z_]\w*)\b", self.source, re.MULTILINE):
            name = match.group(1)
            if name not in found and name not in ("package", "import", "default"):
                found.append(name)
        return found

    def location_of_offset(self, offset: int) -> Location:
        """The line and column of a byte offset into the file."""
        prefix = self.source.encode("utf-8")[:offset].decode("utf-8", errors="ignore")
        line = prefix.count("\n") + 1
        column = len(prefix) - (prefix.rfind("\n") + 1) + 1
        return Location(self.name, line, column)

    def location_of_rule(self, rule: str) -> Location | None:
        """Where ``rule`` is first defined (at the start of a line), if it is."""
        match = re.search(rf"^{re.escape(rule)}\b", self.source, re.MULTILINE)
        return self.location_of_offset(len(self.source[: match.start()].encode("utf-8"))) if match else None

    def locations_of(self, text: str) -> list[Location]:
        """Every place ``text`` occurs."""
        return [
            self.location_of_offset(len(self.source[: m.start()].encode("utf-8")))
            for m in re.finditer(re.escape(text), self.source)
        ]


POLICY_LIMIT = readfile.MIB
"""Largest policy (``*.rego``) file read (bytes): regular files only, read without blocking."""


def collect(paths: Iterable[str]) -> tuple[list[Module], list[Diagnostic]]:
    """Every ``*.rego`` file under ``paths`` (files or folders), sorted, or problems for missing paths."""
    found: set[Path] = set()
    problems: list[Diagnostic] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for directory, subdirs, names in os.walk(path):
                subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
                found.update(Path(directory) / n for n in names if n.endswith(".rego"))
        elif readfile.is_present(path):  # a file, or a link/FIFO/device the reader refuses by name
            found.add(path)
        else:
            problems.append(
                Diagnostic(
                    "no such policy file or folder",
                    Location(str(raw)),
                    "spec.policy.paths",
                    "paths are relative to the file that names them (Settings or Environment)",
                )
            )
    modules: list[Module] = []
    for path in sorted(found, key=str):
        name = os.path.relpath(os.path.normpath(path)) if not os.path.isabs(path) else str(path)
        try:
            modules.append(Module(name=name, source=readfile.read_text(path, limit=POLICY_LIMIT)))
        except readfile.FileProblem as exc:
            problems.append(
                Diagnostic(f"cannot read policy file: {exc.message}", Location(name, exc.line, exc.column),
                           hint=exc.hint if "too large" in exc.message else "")
            )
    return modules, problems
