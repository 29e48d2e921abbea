"""After an interrupted smoke run: the exact command that cancels each request whose cancel was not confirmed.

Effectful (prints through the session's reporter, to stderr). Cancels after Ctrl-C keep trying for a bounded time
(``smoke.runner.CANCEL_PATIENCE``); a request the server never confirmed cancelled may still be running,
and billed. Each is printed in full, never cut to "and N more", with a command carrying the global options
in use (``--emulator`` or ``--api-url URL``) and, for an environment with its own token variable, that token.
"""

from __future__ import annotations

from collections.abc import Callable

from reconciler.manifest.desired import DesiredState
from reconciler.render import safe
from reconciler.session.session import Session
from reconciler.smoke.report import SmokeReport

DEFAULT_TOKEN_ENV = "RUNCOMFY_API_TOKEN"


def cancel_command(app: Session, desired: DesiredState) -> Callable[[str, str], str]:
    """``(deployment id, request id) -> the shell command that cancels that request``, as this run reached it."""
    token_env = desired.environment.token_env if desired.environment is not None else DEFAULT_TOKEN_ENV
    prefix = f'{DEFAULT_TOKEN_ENV}="${token_env}" ' if token_env != DEFAULT_TOKEN_ENV and not app.emulator else ""

    def command(deployment_id: str, request_id: str) -> str:
        words = ("request", "cancel", deployment_id, request_id)
        return prefix + app.invocation().command(*words)

    return command


def report_still_running(app: Session, report: SmokeReport, command: Callable[[str, str], str]) -> None:
    """Print every request that may still be running after Ctrl-C, each with its cancel command."""
    pending = [r for r in report.results if r.may_still_run and r.deployment_id and r.request_id]
    if not pending:
        return
    count = len(pending)
    app.out.note(
        f"{count} request{'s' if count != 1 else ''} may still be running (the server never confirmed the "
        "cancel); cancel each with:"
    )
    for result in pending:
        assert result.deployment_id is not None and result.request_id is not None
        app.out.note(safe.terminal(f"  {result.name}: {command(result.deployment_id, result.request_id)}"))
