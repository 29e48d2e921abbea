"""``--summary/--no-summary``: every command that renders a report also appends it to the job summary.

Effectful shell (reads ``GITHUB_STEP_SUMMARY``, appends to that file). On by default and a no-op
outside GitHub Actions; the Markdown is scrubbed of secrets on the way out like every other output.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import click

from reconciler.cli import output
from reconciler.github import summary as step_summary

F = TypeVar("F", bound=Callable[..., Any])


def summary_option(func: F) -> F:
    """Add ``--summary/--no-summary`` to a command that renders a report."""
    return click.option(
        "--summary/--no-summary",
        "summary",
        default=True,
        show_default=True,
        help="Also append the report as Markdown to $GITHUB_STEP_SUMMARY when that is set (GitHub Actions).",
    )(func)


def publish(enabled: bool, markdown: str | Callable[[], str]) -> None:
    """Append ``markdown`` (or what the callable renders, only when needed) to the step summary, masked as
    everything the command prints."""
    path = step_summary.summary_path(os.environ)
    if not enabled or path is None:
        return
    text = markdown() if callable(markdown) else markdown
    try:
        written = step_summary.append(path, output.current().mask(text))
    except OSError as exc:
        output.echo(f"warning: cannot write the step summary {path}: {exc.strerror or exc}", err=True)
        return
    if not written:
        output.echo("warning: the step summary is full (GitHub's 1 MiB limit); this report was not added", err=True)
