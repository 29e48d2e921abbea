"""``comfyops request status|result|cancel|delete DEPLOYMENT REQUEST_ID``: one request's queue endpoints.

A command parses its options, calls its use case in :mod:`reconciler.session.request_queue` (one list
call, DEPLOYMENT by name or id, and one queue call; the request's entry in the local history is updated
when it has one) and prints the API's answer (:mod:`reconciler.render.request`). Outcomes as the API
gives them: cancel says ``cancelled`` or ``not_cancellable`` (both exit 0: the request is not running
either way); delete says how many stored objects it removed (0 is valid: nothing was left) and, on 409,
that the request is still running and must be cancelled first. Output URLs are signed credentials:
``result`` lists file names, never URLs, and ``--out DIR`` downloads the files instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from reconciler.cli import output
from reconciler.cli.manifests import settings_of, settings_option
from reconciler.render import request as render
from reconciler.session import request_queue
from reconciler.session.session import Session


def _options(func: Any) -> Any:
    func = click.argument("request_id")(func)
    func = click.argument("deployment")(func)
    func = settings_option(func)
    return click.option("--format", "fmt", type=click.Choice(render.FORMATS), default="text",
                        show_default=True)(func)


@click.group("request")
def command() -> None:
    """One request's queue endpoints: status, result, cancel, delete.

    \b
    Examples:
      comfyops request status media-sdxl-txt2img 9df01713-a522-467e-9ffe-a6fd12f359c6
      comfyops request result media-sdxl-txt2img 9df01713-... --out outputs/
      comfyops request cancel media-sdxl-txt2img 9df01713-...
    """


@command.command("status")
@_options
@click.pass_obj
def status(app: Session, deployment: str, request_id: str, files: tuple[str, ...], fmt: str) -> int:
    """Show a request's queue status (in_queue, in_progress, completed, cancelled) and its instance."""
    asked = request_queue.status(app, settings_of(files), deployment, request_id)
    output.echo(render.status(asked, fmt, app.invocation()))
    return 0


@command.command("result")
@_options
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Download the output files here.")
@click.pass_obj
def result(app: Session, deployment: str, request_id: str, files: tuple[str, ...], fmt: str,
           out: Path | None) -> int:
    """Show a request's outcome, errors and outputs (file names; --out downloads them)."""
    asked = request_queue.result(app, settings_of(files), deployment, request_id, out)
    output.echo(render.result(asked, fmt))
    return 0 if asked.answer.status in ("succeeded", "in_queue", "in_progress") else 1


@command.command("cancel")
@_options
@click.pass_obj
def cancel(app: Session, deployment: str, request_id: str, files: tuple[str, ...], fmt: str) -> int:
    """Cancel a queued or running request; says cancelled, or not_cancellable when it has finished."""
    asked = request_queue.cancel(app, settings_of(files), deployment, request_id)
    output.echo(render.cancel(asked, fmt, app.invocation()))
    return 0


@command.command("delete")
@_options
@click.pass_obj
def delete(app: Session, deployment: str, request_id: str, files: tuple[str, ...], fmt: str) -> int:
    """Purge a finished request's stored inputs and outputs now (not possible while it runs)."""
    asked = request_queue.delete(app, settings_of(files), deployment, request_id)
    output.echo(render.delete(asked, fmt))
    return 0
