"""A command's output object (OpenTofu's views): it owns every line the command prints, and masks it.

Effectful (stdout/stderr only). Renderers return strings; a command prints them through its one
:class:`Output`, which replaces every secret it has learnt (:class:`reconciler.secrets.Masker`; the
manifests' secrets are learnt as they are loaded) on the way out, so a new command cannot forget to
mask. The session's notes, located problems and progress displays come here too (it is the session's
``Reporter``), and so do the displays that write in pieces (smoke progress, ``-v`` logging, click's usage
errors, the confirmation prompt): :attr:`Output.stderr` is the command's stderr as a masked text stream.
This module is the only one in ``cli/`` and ``session/`` that touches stdout or stderr (a test checks).
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

import click

from reconciler.diagnostics import Diagnostic
from reconciler.github import annotations as workflow_commands
from reconciler.render import safe
from reconciler.secrets import SENSITIVE, Masker, longest_first
from reconciler.session.session import Session

if TYPE_CHECKING:
    from reconciler.smoke.progress import Progress


def use_color(*, no_color_flag: bool, stream: object = None) -> bool:
    """Whether to colour output: only on a TTY, never with --no-color or NO_COLOR set."""
    if no_color_flag or os.environ.get("NO_COLOR"):
        return False
    target = stream if stream is not None else sys.stdout
    isatty = getattr(target, "isatty", None)
    return bool(isatty and isatty())


class MaskedStderr(io.TextIOBase):
    """Stderr as a text stream whose every write goes through an output object (masked): for what writes in
    pieces (a live progress block, a logging handler, click's usage errors)."""

    def __init__(self, owner: Callable[[], Output]) -> None:
        super().__init__()
        self._owner = owner

    def writable(self) -> bool:
        """A stream to write to."""
        return True

    def write(self, text: str) -> int:
        """Print ``text`` to stderr as it is (no newline added), masked."""
        self._owner().echo(text, nl=False, err=True)
        return len(text)

    def flush(self) -> None:
        """Flush stderr."""
        sys.stderr.flush()

    def isatty(self) -> bool:
        """Whether stderr is a terminal (a live progress display redraws in place only there)."""
        isatty = getattr(sys.stderr, "isatty", None)
        return bool(isatty and isatty())


class Output:
    """Everything one command prints: its report on stdout, notes, problems and progress on stderr, all masked."""

    def __init__(self) -> None:
        self.masker = Masker()
        self.stderr = MaskedStderr(lambda: self)

    def learn(self, secrets: Iterable[str]) -> None:
        """Mask ``secrets`` in everything printed from now on."""
        self.masker.learn(secrets)

    def mask(self, text: str) -> str:
        """``text`` as this command may show it (or write it to a file it reports into)."""
        return self.masker.mask(text)

    def echo(self, text: str | bytes = "", *, nl: bool = True, err: bool = False) -> None:
        """Print ``text`` (stdout, or stderr with ``err``), masked; bytes (a proxied body) are masked as UTF-8."""
        if isinstance(text, bytes):
            for secret in longest_first(self.masker.secrets):
                text = text.replace(secret.encode("utf-8"), SENSITIVE.encode("utf-8"))
            click.echo(text, nl=nl, err=err)
            return
        click.echo(self.mask(text), nl=nl, err=err)

    def report(self, text: str, *, err: bool = False) -> None:
        """Print a rendered report, adding a final newline only when it has none."""
        self.echo(text, nl=not text.endswith("\n"), err=err)

    def note(self, text: str) -> None:
        """Print one line of progress or advice to stderr."""
        self.echo(text, err=True)

    def progress(self, names: Sequence[str], *, live: bool | None = None) -> Progress:
        """A display of smoke tests (or a waited request) as they go, on stderr: a live block on a terminal
        (or when ``live`` says so), else one line per change."""
        from reconciler.smoke import progress

        return progress.make_progress(self.stderr, names, live=live)

    def ask(self, prompt: str) -> str:
        """Ask ``prompt`` on the terminal (on stderr) and return the typed answer ('' for none)."""
        return str(click.prompt(prompt, default="", show_default=False, err=True))

    def error(self, summary: str, detail: str = "") -> None:
        """Print an expected failure as ``error: summary`` plus an optional indented detail, each line made safe.

        The summary is one line; the detail's lines are those its author joined with ``\\n``. Whatever came
        from outside inside them (API messages, names) is shown escaped, never acted on (``render.safe``).
        """
        self.note(f"error: {safe.terminal(summary)}")
        if detail:
            for line in detail.split("\n"):
                self.note(f"  {safe.terminal(line)}")

    def diagnostics(self, diagnostics: Sequence[Diagnostic]) -> None:
        """Print located problems one per line to stderr; on GitHub Actions also as ``::error`` annotations."""
        annotate = workflow_commands.on_github_actions(os.environ)
        for diag in diagnostics:
            self.note(_with_context(diag.format()))
            if annotate:
                self.note(safe.terminal(workflow_commands.workflow_command(diag)))


def output_of(app: Session) -> Output:
    """The command's output object (the one the session reports to)."""
    assert isinstance(app.out, Output), app.out
    return app.out


def current() -> Output:
    """The running command's output object, for helpers shared by commands (loading manifests, summaries)."""
    ctx = click.get_current_context(silent=True)
    app = ctx.find_object(Session) if ctx is not None else None
    return output_of(app) if app is not None else Output()


CURRENT_STDERR = MaskedStderr(current)
"""Stderr through the running command's output object, for process-wide writers (logging handlers)."""


def echo(text: str | bytes = "", *, nl: bool = True, err: bool = False) -> None:
    """Print ``text`` through the running command's output object (masked)."""
    current().echo(text, nl=nl, err=err)


def diagnostics(found: Sequence[Diagnostic]) -> None:
    """Print located problems through the running command's output object (masked)."""
    current().diagnostics(found)


def _with_context(line: str) -> str:
    """``line`` with each quoted `` `comfyops ...` `` completed for the running command (see ``followups``)."""
    if "`comfyops" not in line:
        return line
    context = click.get_current_context(silent=True)
    app = context.find_object(Session) if context is not None else None
    if app is None:
        return line
    from reconciler.cli.followups import complete

    return safe.terminal(complete(line, app))
