"""Writing to the terminal: errors to stderr, colour decided once, secrets masked on the way out.

Effectful (stdout/stderr only). Renderers return strings; this module is where they are printed.
"""

from __future__ import annotations

import os
import sys

import click

from reconciler.diagnostics import Diagnostic
from reconciler.github import annotations as workflow_commands
from reconciler.render import safe


def use_color(*, no_color_flag: bool, stream: object = None) -> bool:
    """Whether to colour output: only on a TTY, never with --no-color or NO_COLOR set."""
    if no_color_flag or os.environ.get("NO_COLOR"):
        return False
    target = stream if stream is not None else sys.stdout
    isatty = getattr(target, "isatty", None)
    return bool(isatty and isatty())


def print_error(summary: str, detail: str = "") -> None:
    """Print an expected failure as ``error: summary`` plus an optional indented detail, each line made safe.

    The summary is one line; the detail's lines are those its author joined with ``\\n``. Whatever came from
    outside inside them (API messages, names) is shown escaped, never acted on (``render.safe``).
    """
    click.echo(f"error: {safe.terminal(summary)}", err=True)
    if detail:
        for line in detail.split("\n"):
            click.echo(f"  {safe.terminal(line)}", err=True)


def print_diagnostics(diagnostics: list[Diagnostic]) -> None:
    """Print located problems one per line to stderr; on GitHub Actions also as ``::error`` annotations."""
    annotate = workflow_commands.on_github_actions(os.environ)
    for diag in diagnostics:
        click.echo(_with_context(diag.format()), err=True)
        if annotate:
            click.echo(safe.terminal(workflow_commands.workflow_command(diag)), err=True)


def _with_context(line: str) -> str:
    """``line`` with each quoted `` `comfyops ...` `` completed for the running command (see ``followups``)."""
    if "`comfyops" not in line:
        return line
    context = click.get_current_context(silent=True)
    if context is None:
        return line
    from reconciler.cli.context import AppContext
    from reconciler.cli.followups import complete

    app = context.find_object(AppContext)
    return safe.terminal(complete(line, app)) if app is not None else line


def scrub(text: str, secrets: frozenset[str] | set[str]) -> str:
    """``text`` with every secret value (from ``${VAR}`` interpolation) replaced by ``(sensitive value)``."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "(sensitive value)")
    return text
