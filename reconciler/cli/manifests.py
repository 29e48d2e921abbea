"""The ``-f/--file`` and ``--env`` options, and loading manifests for any command that reads them.

Effectful shell: reads files and the environment, prints problems to stderr. ``files_option`` adds
both options, so every command that reads manifests takes ``--env NAME`` (env ``COMFYOPS_ENV``) without
a parameter of its own: :func:`load_desired` reads the selection from the click context, and
:func:`selected_environment` tells any command which one was asked for.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import click

from reconciler.cli import output
from reconciler.errors import DiagnosticsError, ReconcilerError
from reconciler.manifest import environments
from reconciler.manifest.desired import DesiredState, secret_strings
from reconciler.manifest.load import LoadResult, load_manifests

F = TypeVar("F", bound=Callable[..., Any])
ENV_VAR = "COMFYOPS_ENV"
_META_KEY = "comfyops.environment"


def _remember_environment(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    ctx.meta[_META_KEY] = value or None
    return value


def env_option(func: F) -> F:
    """Add ``--env NAME`` (env ``COMFYOPS_ENV``); the value is read back with :func:`selected_environment`."""
    return click.option(
        "--env",
        "environment",
        envvar=ENV_VAR,
        metavar="NAME",
        expose_value=False,
        is_eager=True,
        callback=_remember_environment,
        help=f"Environment to use, when the manifests declare Environment documents (env {ENV_VAR}).",
    )(func)


def _file_option(func: F, help_text: str) -> F:
    """Add the repeatable ``-f/--file PATH`` (a file or a folder), read back as ``files``."""
    option = click.option("-f", "--file", "files", multiple=True, type=click.Path(path_type=str), help=help_text)
    return option(func)


def files_option(func: F) -> F:
    """Add ``-f/--file PATH`` (repeatable; a file or a folder; default ``.``) and ``--env NAME`` to a command."""
    return _file_option(
        env_option(func), "Manifest file or folder (repeatable; folders are searched for *.yaml/*.yml). Default: ."
    )


def settings_option(func: F) -> F:
    """Add an optional ``-f/--file`` whose manifests' Settings (rate limit, queue API version) apply."""
    return _file_option(func, "Manifests whose Settings apply (rate limit, queue_api_version). Not needed otherwise.")


def settings_of(files: tuple[str, ...]) -> DesiredState | None:
    """The manifests a ``settings_option`` named (None without ``-f``: the API defaults apply)."""
    return load_desired(files) if files else None


def selected_environment() -> str | None:
    """The environment chosen with ``--env`` or ``COMFYOPS_ENV`` for the running command, if any."""
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if _META_KEY in ctx.meta:
            value = ctx.meta[_META_KEY]
            return str(value) if value else None
        ctx = ctx.parent
    return None


def load_result(files: tuple[str, ...], environment: str | None) -> LoadResult:
    """Load the manifests for ``environment`` (None: the base), without printing or judging."""
    return load_manifests(files or (".",), env=os.environ, environment=environment)


def report_skipped(result: LoadResult) -> None:
    """Under -v, say which YAML files a folder walk skipped because they hold no comfyops document."""
    context = click.get_current_context(silent=True)
    verbose = getattr(context.obj if context is not None else None, "verbose", 0)
    if result.skipped and verbose:
        count = len(result.skipped)
        output.current().echo(
            f"skipped {count} YAML file{'s' if count != 1 else ''} with no apiVersion: comfyops/... document: "
            + ", ".join(result.skipped[:5])
            + (f" and {count - 5} more" if count > 5 else ""),
            err=True,
        )


def load_desired(files: tuple[str, ...], environment: str | None = None) -> DesiredState:
    """Load the manifests for the selected environment, or fail with every problem printed, one per line.

    With Environment documents present an environment must be selected (``--env``); the error lists them.
    """
    chosen = environment if environment is not None else selected_environment()
    result = load_result(files, chosen)
    report_skipped(result)
    state = checked(result, chosen, f"e.g. comfyops {_command_name()} --env {{first}} (or set {ENV_VAR})")
    return state


def checked(result: LoadResult, chosen: str | None, example: str) -> DesiredState:
    """``result``'s state for the ``chosen`` environment, with its problems printed; else the error that says why.

    ``example`` is the hint when an environment must be chosen; ``{first}`` stands for the first one.
    """
    if chosen is None and result.environments:
        output.current().diagnostics(result.warnings)
        raise ReconcilerError(
            f"the manifests declare environments ({', '.join(result.environments)}); choose one with --env",
            example.format(first=result.environments[0]),
        )
    if chosen is not None and chosen not in result.environments:
        raise ReconcilerError(environments.unknown_environment(chosen, result.environments))
    output.current().diagnostics(result.problems)
    if result.state is None:
        count = len(result.errors)
        raise DiagnosticsError(result.problems, f"manifests are invalid: {count} problem{'s' if count != 1 else ''}")
    output.current().learn(secret_strings(result.state) | result.state.secret_values)
    return result.state


def _command_name() -> str:
    ctx = click.get_current_context(silent=True)
    return ctx.info_name if ctx is not None and ctx.info_name else "plan"
