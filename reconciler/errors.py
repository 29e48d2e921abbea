"""The domain's expected failures, as opposed to bugs.

Pure. Every expected failure is a :class:`ReconcilerError` with a one-line ``summary`` and an
optional ``detail``; the CLI turns it into exit code 1. Anything else that escapes is a bug and
exits 3 (see ``reconciler.cli``). Manifest problems travel as a list of diagnostics so that all of
them are reported at once.
"""

from __future__ import annotations

from reconciler.diagnostics import Diagnostic


class ReconcilerError(Exception):
    """An expected failure the user can act on: printed as one line, exit code 1."""

    exit_code = 1

    def __init__(self, summary: str, detail: str = "") -> None:
        super().__init__(summary)
        self.summary = summary
        self.detail = detail

    def __str__(self) -> str:
        return self.summary


class DiagnosticsError(ReconcilerError):
    """One or more located problems (manifests, workflows, plan rules), reported together."""

    def __init__(self, diagnostics: list[Diagnostic], summary: str = "") -> None:
        errors = [d for d in diagnostics if d.is_error]
        super().__init__(summary or f"{len(errors)} problem{'s' if len(errors) != 1 else ''} found")
        self.diagnostics = diagnostics
