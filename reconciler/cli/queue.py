"""``comfyops request status|result|cancel|delete DEPLOYMENT REQUEST_ID``: one request's queue endpoints.

Effectful shell. Each subcommand makes one list call (DEPLOYMENT by name or id) and one queue call,
prints the API's answer plainly, and updates the request's entry in the local history when it has
one. Outcomes as the API gives them: cancel says ``cancelled`` or ``not_cancellable`` (both exit 0:
the request is not running either way); delete says how many stored objects it removed (0 is
valid: nothing was left) and, on 409, that the request is still running and must be cancelled
first. Output URLs are signed credentials: ``result`` lists file names, never URLs, and
``--out DIR`` downloads the files instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler.cli import output
from reconciler.cli.followups import followup
from reconciler.cli.manifests import settings_of, settings_option
from reconciler.errors import ReconcilerError
from reconciler.history.store import HistoryStore
from reconciler.render import safe
from reconciler.runcomfy import errors, wire
from reconciler.session.lookup import client_for, find_live
from reconciler.session.recording import store
from reconciler.session.running import save_outputs
from reconciler.session.session import Session

FORMAT_VERSION = 1
T = TypeVar("T")


def _options(func: Any) -> Any:
    func = click.argument("request_id")(func)
    func = click.argument("deployment")(func)
    func = settings_option(func)
    return click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
                        show_default=True)(func)


def _record(request_id: str, **observed: str | None) -> None:
    """Note what was seen in the history entry of ``request_id``, if the history has one."""
    history: HistoryStore = store()
    try:
        known = history.find(request_id)
        if known is not None:
            history.write(known.observed(datetime.now(UTC), **observed))
    except ReconcilerError as error:
        output.echo(f"warning: request history not updated: {error.summary}", err=True)


def _emit(fmt: str, text: str, document: dict[str, Any]) -> None:
    if fmt == "json":
        output.echo(json.dumps({"format_version": FORMAT_VERSION, **document}, indent=2, ensure_ascii=False))
    else:
        output.echo("\n".join(safe.terminal(line) for line in text.split("\n")))


def _not_found(error: errors.ApiError, live: wire.Deployment, request_id: str) -> ReconcilerError:
    return ReconcilerError(
        f"no request {request_id} on deployment {live.name} ({error.reason})",
        "A request belongs to the deployment it was submitted to; `comfyops requests` lists the ones "
        "submitted from here.",
    )


def _call(live: wire.Deployment, request_id: str, call: Callable[[], T]) -> T:
    """Run one queue call; a 404 becomes "no such request on this deployment"."""
    try:
        return call()
    except errors.NotFoundError as error:
        raise _not_found(error, live, request_id) from error


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
    client = client_for(app, settings_of(files))
    live = find_live(client, deployment)
    found = _call(live, request_id, lambda: client.request_status(live.id, request_id))
    _record(request_id, status=found.status, instance_id=found.instance_id)
    text = f"Request {request_id} of {live.name}: {found.status}"
    if found.queue_position is not None and found.status == "in_queue":
        text += f" (queue position {found.queue_position})"
    if found.instance_id:
        text += f" on instance {found.instance_id}"
    if found.status == "completed":
        text += f"\nRead its outcome: {followup('request', 'result', live.name, request_id, app=app)}"
    _emit(fmt, text, {"deployment": live.name, "deployment_id": live.id, "request_id": request_id,
                      "status": found.status, "queue_position": found.queue_position,
                      "instance_id": found.instance_id})
    return 0


def _listed_outputs(result: wire.RequestResult) -> dict[str, dict[str, list[Any]]]:
    """Outputs without their URLs (signed URLs are credentials): file names, or the text itself."""
    listed: dict[str, dict[str, list[Any]]] = {}
    for node, channels in result.outputs.items():
        for channel, items in channels.items():
            listed.setdefault(node, {})[channel] = [
                {k: v for k, v in item.items() if k in ("filename", "subfolder", "type", "format")}
                if isinstance(item, dict) else item
                for item in items
            ]
    return listed


def _result_text(live: wire.Deployment, request_id: str, result: wire.RequestResult,
                 files: list[Path]) -> str:
    lines = [f"Request {request_id} of {live.name}: {safe.terminal(result.status)}"]
    if result.status in ("in_queue", "in_progress"):
        lines[0] += " (not finished yet: no result)"
    times = ", ".join(f"{k} {v}" for k, v in (("created", result.created_at), ("finished", result.finished_at)) if v)
    if times:
        lines.append(f"  {times}")
    if result.instance_id:
        lines.append(f"  instance: {result.instance_id}")
    for error in result.error:
        lines.append(f"  error: {safe.terminal(error.message or error.type or 'error')}")
    for node, channels in _listed_outputs(result).items():
        for channel, items in channels.items():
            for item in items:
                shown = item if isinstance(item, str) else item.get("filename", "(no file name)")
                lines.append(f"  output {safe.terminal(node)} {safe.terminal(channel)}: {safe.terminal(shown)}")
    lines += [f"  saved {path}" for path in files]
    return "\n".join(lines)


@command.command("result")
@_options
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Download the output files here.")
@click.pass_obj
def result(app: Session, deployment: str, request_id: str, files: tuple[str, ...], fmt: str,
           out: Path | None) -> int:
    """Show a request's outcome, errors and outputs (file names; --out downloads them)."""
    client = client_for(app, settings_of(files))
    live = find_live(client, deployment)
    found = _call(live, request_id, lambda: client.request_result(live.id, request_id))
    finished = found.status in ("succeeded", "failed", "cancelled")
    _record(request_id, outcome=found.status if finished else None, instance_id=found.instance_id)
    saved = save_outputs(client, found, out) if out is not None and found.succeeded else []
    document = {"deployment": live.name, "deployment_id": live.id, "request_id": request_id,
                "status": found.status, "created_at": found.created_at, "finished_at": found.finished_at,
                "instance_id": found.instance_id,
                "errors": [{"type": e.type, "message": e.message} for e in found.error],
                "outputs": _listed_outputs(found), "files": [str(p) for p in saved]}
    _emit(fmt, _result_text(live, request_id, found, saved), document)
    return 0 if found.status in ("succeeded", "in_queue", "in_progress") else 1


_CANCEL_TEXT = {
    "cancelled": "cancelled",
    "not_cancellable": "not cancellable: it has already finished (or can no longer be stopped); nothing changed",
    "requested": "cancellation requested; check it with {status}",
}


@command.command("cancel")
@_options
@click.pass_obj
def cancel(app: Session, deployment: str, request_id: str, files: tuple[str, ...], fmt: str) -> int:
    """Cancel a queued or running request; says cancelled, or not_cancellable when it has finished."""
    client = client_for(app, settings_of(files))
    live = find_live(client, deployment)
    found = _call(live, request_id, lambda: client.cancel_request(live.id, request_id))
    if found.outcome == "cancelled":
        _record(request_id, status="cancelled", outcome="cancelled")
    said = _CANCEL_TEXT.get(found.outcome, f"outcome {found.outcome}").format(
        status=followup("request", "status", live.name, request_id, app=app))
    _emit(fmt, f"Request {request_id} of {live.name}: {said}.",
          {"deployment": live.name, "deployment_id": live.id, "request_id": request_id, "outcome": found.outcome})
    return 0


@command.command("delete")
@_options
@click.pass_obj
def delete(app: Session, deployment: str, request_id: str, files: tuple[str, ...], fmt: str) -> int:
    """Purge a finished request's stored inputs and outputs now (not possible while it runs)."""
    client = client_for(app, settings_of(files))
    live = find_live(client, deployment)
    try:
        found = _call(live, request_id, lambda: client.delete_request(live.id, request_id))
    except errors.ConflictError as error:
        raise ReconcilerError(
            f"request {request_id} of {live.name} is still running ({error.reason}): "
            "only a finished request's assets can be deleted",
            f"Cancel it first: {followup('request', 'cancel', live.name, request_id, app=app)}\n"
            f"then delete it: {followup('request', 'delete', live.name, request_id, app=app)}",
        ) from error
    count = found.deleted_objects
    text = f"Request {request_id} of {live.name}: deleted {count} stored object{'s' if count != 1 else ''}"
    text += " (nothing was left to delete: already deleted, or it stored none)." if count == 0 else "."
    _emit(fmt, text, {"deployment": live.name, "deployment_id": live.id, "request_id": request_id,
                      "deleted_objects": count})
    return 0
