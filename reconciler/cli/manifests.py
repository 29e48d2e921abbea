"""The ``-f/--file`` and ``--env`` options, and loading manifests for any command that reads them.

Effectful shell: reads files and the environment, prints problems to stderr. ``files_option`` adds
both options, so every command that reads manifests takes ``--env NAME`` (env ``COMFYOPS_ENV``) without
a parameter of its own: :func:`load_desired` reads the selection from the click context, and
:func:`selected_environment` tells any command which one was asked for.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import click

from reconciler.cli import output
from reconciler.errors import DiagnosticsError, ReconcilerError
from reconciler.manifest import environments
from reconciler.manifest.desired import DesiredState, secret_strings
from reconciler.manifest.load import LoadResult, ReadManifests, read_manifests, resolve_environment
from reconciler.session.session import Session

F = TypeVar("F", bound=Callable[..., Any])
ENV_VAR = "COMFYOPS_ENV"
_META_KEY = "comfyops.environment"


def _remember_environment(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    ctx.meta[_META_KEY] = value or None
    app = ctx.find_object(Session)
    if app is not None:
        app.invoked_environment = value or None
    return value


def remember_files(ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    """Option callback: keep the ``-f`` paths as typed, for follow-up hints."""
    app = ctx.find_object(Session)
    if app is not None:
        app.invoked_files = tuple(value)
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
    option = click.option("-f", "--file", "files", multiple=True, type=click.Path(path_type=str),
                          callback=remember_files, help=help_text)
    return option(func)


def files_option(func: F) -> F:
    """Add ``-f/--file PATH`` (repeatable; a file or a folder; default ``.``) and ``--env NAME`` to a command."""
    return _file_option(
        env_option(func), "Manifest file or folder (repeatable; folders are searched for *.yaml/*.yml). Default: ."
    )


def settings_option(func: F) -> F:
    """Add an optional ``-f/--file`` whose manifests' Settings (rate limit, queue API version) apply, and
    ``--env NAME`` to pick the environment those Settings (and the API URL and token) come from."""
    return _file_option(env_option(func),
                        "Manifests whose Settings apply (rate limit, queue_api_version). Not needed otherwise.")


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


_LOADS = itertools.count()
"""Loads so far in this process (see :func:`_kept_until_exit`)."""


@contextlib.contextmanager
def _kept_until_exit() -> Iterator[None]:
    """What is built inside lives until the command exits (the parsed manifests, the desired state): no
    cyclic GC while it piles up, then out of the collector's view (``gc.freeze``), as the CLI does with
    what it imports. Otherwise the first collection after it scans every YAML node and value once more
    (0.15 s of a plan over 5,000 deployments) only to find nothing to free. From the second load of a
    process on (``reconcile --watch`` loads every pass), what was garbage before is collected first, so
    that what earlier passes left is freed, not frozen."""
    if next(_LOADS):
        gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def read_files(files: tuple[str, ...]) -> ReadManifests:
    """Read and parse the manifests once, for :func:`load_result` / :func:`load_desired` to resolve for
    one environment or several."""
    with _kept_until_exit():
        return read_manifests(files or (".",), env=os.environ)


def load_result(files: tuple[str, ...], environment: str | None, *, read: ReadManifests | None = None) -> LoadResult:
    """Load the manifests for ``environment`` (None: the base), without printing or judging; ``read``:
    manifests already read (by :func:`read_files`), so they are not read again."""
    read = read if read is not None else read_files(files)
    with _kept_until_exit():
        return resolve_environment(read, environment)


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


def load_desired(
    files: tuple[str, ...], environment: str | None = None, *, read: ReadManifests | None = None
) -> DesiredState:
    """Load the manifests for the selected environment, or fail with every problem printed, one per line.

    With Environment documents present an environment must be selected (``--env``); the error lists them.
    ``read``: manifests already read (by :func:`read_files`), so they are not read again.
    """
    chosen = environment if environment is not None else selected_environment()
    result = load_result(files, chosen, read=read)
    report_skipped(result)
    state = checked(result, chosen, lambda first: f"e.g. {_same_command_in(first)} (or set {ENV_VAR})")
    return state


def checked(result: LoadResult, chosen: str | None, example: Callable[[str], str]) -> DesiredState:
    """``result``'s state for the ``chosen`` environment, with its problems printed; else the error that says why.

    ``example(first)`` is the hint when an environment must be chosen (``first``: the first one declared).
    """
    if chosen is None and result.environments:
        output.current().diagnostics(result.warnings)
        raise ReconcilerError(
            f"the manifests declare environments ({', '.join(result.environments)}); choose one with --env",
            example(result.environments[0]),
        )
    if chosen is not None and chosen not in result.environments:
        raise ReconcilerError(environments.unknown_environment(chosen, result.environments))
    output.current().diagnostics(result.problems)
    if result.state is None:
        count = len(result.errors)
        raise DiagnosticsError(result.problems, f"manifests are invalid: {count} problem{'s' if count != 1 else ''}")
    output.current().learn(secret_strings(result.state) | result.state.secret_values)
    return result.state


def _same_command_in(environment: str) -> str:
    """The running command line as typed, with ``--env environment``."""
    from reconciler.cli.followups import repeated_with

    return repeated_with("--env", environment)
