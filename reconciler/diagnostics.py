"""User-facing problems: one value per problem, each knowing where it came from.

Pure. A :class:`Diagnostic` is what every layer (manifest loading, workflow checks, plan rules)
returns instead of raising on the first problem, so that one run reports every problem in every
file. The CLI prints them one per line as ``path:line:column: field.path: message (hint: ...)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    """How bad a problem is: errors stop the command, warnings are printed and let it go on."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Location:
    """A position in a source file; line and column are 1-based, as editors show them."""

    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.path
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    """One problem: where it is, which field, what is wrong, and what to do about it."""

    message: str
    location: Location | None = None
    field_path: str = ""
    hint: str = ""
    severity: Severity = Severity.ERROR
    extra: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_error(self) -> bool:
        """Whether this problem stops the command."""
        return self.severity is Severity.ERROR

    def format(self) -> str:
        """The one-line form printed to users: ``file:line:col: field: message (hint: ...)``."""
        parts: list[str] = []
        if self.location is not None:
            parts.append(str(self.location))
        if self.field_path:
            parts.append(self.field_path)
        prefix = "warning: " if self.severity is Severity.WARNING else ""
        text = f"{prefix}{self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        parts.append(text)
        return printable(": ".join(parts))

    def sort_key(self) -> tuple[str, int, int, str, str]:
        """A stable order for printing: by file, line, column, then field and message."""
        loc = self.location or Location("")
        return (loc.path, loc.line, loc.column, self.field_path, self.message)


MAX_LINE = 2000
"""Longest problem line printed; a huge echoed value is cut."""


def printable(text: str) -> str:
    """``text`` as one safe terminal line (see ``reconciler.render.safe.terminal``), cut when huge."""
    # The one terminal sanitiser lives beside the renderers; this module sits below them, so it is
    # looked up when a problem is formatted rather than when this module is imported.
    from reconciler.render import safe

    text = safe.terminal(text)
    if len(text) > MAX_LINE:
        text = text[: MAX_LINE - 40] + f"... ({len(text) - MAX_LINE + 40} more characters)"
    return text


def sorted_diagnostics(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """The diagnostics in file order with exact duplicates dropped."""
    seen: set[tuple[str, int, int, str, str]] = set()
    out: list[Diagnostic] = []
    for diag in sorted(diagnostics, key=Diagnostic.sort_key):
        key = diag.sort_key()
        if key in seen:
            continue
        seen.add(key)
        out.append(diag)
    return out


def did_you_mean(word: str, candidates: list[str] | tuple[str, ...] | set[str]) -> str:
    """A 'did you mean X?' suggestion for a misspelt name, or '' when nothing is close."""
    import difflib

    match = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=0.6)
    return f"did you mean {match[0]!r}?" if match else ""
