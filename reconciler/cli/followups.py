"""Follow-up commands printed by the CLI, carrying the invoking command's global options, ``-f`` and ``--env``.

Effectful shell only in that it reads the running click context and the command tree; the
formatting is :mod:`reconciler.followup`. Every hint that prints a ``comfyops`` command goes through
:func:`followup` (or, for messages made by pure code, :func:`complete` when the error is printed).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import click

from reconciler.followup import MANIFEST_OPTIONS, Invocation, complete_mentions, split_globals
from reconciler.session.session import Session


def invocation(app: Session | None = None) -> Invocation:
    """What the running command was invoked with: its global options, ``-f`` paths and ``--env``."""
    if app is None:
        ctx = click.get_current_context(silent=True)
        app = ctx.find_object(Session) if ctx is not None else None
        if app is None:
            return Invocation()
    return Invocation(global_args=tuple(app.global_args()), files=app.invoked_files,
                      environment=app.invoked_environment)


def options_of(words: Sequence[str]) -> Collection[str]:
    """Which of ``-f`` and ``--env`` the command named by ``words`` (``["request", "result", ...]``) takes."""
    from reconciler.cli import cli

    ctx = click.Context(cli)
    command: click.Command = cli
    for word in words:
        if not isinstance(command, click.Group):
            break
        found = command.get_command(ctx, word)
        if found is None:
            break
        command = found
    if command is cli:
        return ()
    taken = {opt for param in command.params for opt in param.opts}
    return MANIFEST_OPTIONS & taken


def followup(*words: str, app: Session | None = None, base: Invocation | None = None,
             manifests: bool = True) -> str:
    """``comfyops <global options> WORDS [-f ...] [--env ...]`` for the running command, ready to paste.

    ``base`` replaces the running command's invocation (e.g. with the manifests a saved plan records);
    ``manifests=False`` leaves ``-f``/``--env`` out (``apply PLANFILE`` reads them from the plan).
    """
    return (base or invocation(app)).command(*words, options=options_of(words) if manifests else ())


def complete(text: str, app: Session) -> str:
    """``text`` with every `` `comfyops ...` `` it quotes completed for the command that failed."""
    return complete_mentions(text, invocation(app), options_of)


def repeated_with(*extra: str, app: Session | None = None) -> str:
    """The running command line as typed, plus ``extra`` (``--env staging``), ready to paste.

    The global options are the ones in use (an ``--api-url`` never with credentials).
    """
    if app is None:
        ctx = click.get_current_context(silent=True)
        app = ctx.find_object(Session) if ctx is not None else None
    if app is None or not app.argv:
        return followup(*extra, app=app)
    _given, rest = split_globals(list(app.argv))
    return Invocation(global_args=tuple(app.global_args())).command(*rest, *extra, options=())
