"""The ``-f/--file`` option and loading manifests for any command that reads them.

Effectful shell: reads files and the environment, prints problems to stderr.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import click

from reconciler.cli.output import print_diagnostics
from reconciler.errors import DiagnosticsError
from reconciler.manifest.desired import DesiredState
from reconciler.manifest.load import load_manifests

F = TypeVar("F", bound=Callable[..., Any])


def files_option(func: F) -> F:
    """Add ``-f/--file PATH`` (repeatable; a file or a folder; default ``.``) to a command."""
    return click.option(
        "-f",
        "--file",
        "files",
        multiple=True,
        type=click.Path(path_type=str),
        help="Manifest file or folder (repeatable; folders are searched for *.yaml/*.yml). Default: .",
    )(func)


def load_desired(files: tuple[str, ...]) -> DesiredState:
    """Load the manifests or fail with every problem printed, one per line."""
    result = load_manifests(files or (".",), env=os.environ)
    context = click.get_current_context(silent=True)
    verbose = getattr(context.obj if context is not None else None, "verbose", 0)
    if result.skipped and verbose:
        count = len(result.skipped)
        click.echo(
            f"skipped {count} YAML file{'s' if count != 1 else ''} with no apiVersion: comfyops/... document: "
            + ", ".join(result.skipped[:5])
            + (f" and {count - 5} more" if count > 5 else ""),
            err=True,
        )
    print_diagnostics(result.problems)
    if result.state is None:
        count = len(result.errors)
        raise DiagnosticsError(result.problems, f"manifests are invalid: {count} problem{'s' if count != 1 else ''}")
    return result.state
