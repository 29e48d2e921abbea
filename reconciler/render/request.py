"""The ``request status|result|cancel|delete`` reports, as text or one JSON document.

Pure. Text is plain, one fact a line, every line made safe for a terminal (:mod:`.safe`: statuses,
names and messages come from the API). Output URLs are signed credentials: a result lists its outputs'
file names (or the text itself), never their URLs. A follow-up command in the text (read the result, check
a cancellation) carries the running command's options (``invocation``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol, TypeVar

from reconciler.followup import Invocation
from reconciler.render import safe
from reconciler.runcomfy import wire

FORMAT_VERSION = 1
FORMATS = ("text", "json")


A = TypeVar("A", covariant=True)


class Asked(Protocol[A]):
    """One queue call's answer about a request (:class:`reconciler.session.request_queue.Answered`)."""

    @property
    def live(self) -> wire.Deployment:
        """The live deployment the request belongs to."""

    @property
    def request_id(self) -> str:
        """The request asked about."""

    @property
    def answer(self) -> A:
        """What the API said."""

    @property
    def files(self) -> tuple[Path, ...]:
        """The output files downloaded (``result --out``)."""


def _document(asked: Asked[Any], **facts: Any) -> dict[str, Any]:
    return {"deployment": asked.live.name, "deployment_id": asked.live.id, "request_id": asked.request_id, **facts}


def _emit(fmt: str, text: str, document: dict[str, Any]) -> str:
    if fmt == "json":
        return json.dumps({"format_version": FORMAT_VERSION, **document}, indent=2, ensure_ascii=False)
    return "\n".join(safe.terminal(line) for line in text.split("\n"))


def status(asked: Asked[wire.RequestStatus], fmt: str, invocation: Invocation) -> str:
    """A request's queue status, position and instance; once completed, how to read its outcome."""
    found = asked.answer
    text = f"Request {asked.request_id} of {asked.live.name}: {found.status}"
    if found.queue_position is not None and found.status == "in_queue":
        text += f" (queue position {found.queue_position})"
    if found.instance_id:
        text += f" on instance {found.instance_id}"
    if found.status == "completed":
        text += f"\nRead its outcome: {invocation.command('request', 'result', asked.live.name, asked.request_id)}"
    return _emit(fmt, text, _document(asked, status=found.status, queue_position=found.queue_position,
                                      instance_id=found.instance_id))


def listed_outputs(result: wire.RequestResult) -> dict[str, dict[str, list[Any]]]:
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


def result(asked: Asked[wire.RequestResult], fmt: str) -> str:
    """A request's outcome, times, instance, errors and outputs (file names), and the files saved."""
    found, files = asked.answer, asked.files
    lines = [f"Request {asked.request_id} of {asked.live.name}: {safe.terminal(found.status)}"]
    if found.status in ("in_queue", "in_progress"):
        lines[0] += " (not finished yet: no result)"
    times = ", ".join(f"{k} {v}" for k, v in (("created", found.created_at), ("finished", found.finished_at)) if v)
    if times:
        lines.append(f"  {times}")
    if found.instance_id:
        lines.append(f"  instance: {found.instance_id}")
    for error in found.error:
        lines.append(f"  error: {safe.terminal(error.message or error.type or 'error')}")
    listed = listed_outputs(found)
    for node, channels in listed.items():
        for channel, items in channels.items():
            for item in items:
                shown = item if isinstance(item, str) else item.get("filename", "(no file name)")
                lines.append(f"  output {safe.terminal(node)} {safe.terminal(channel)}: {safe.terminal(shown)}")
    lines += [f"  saved {path}" for path in files]
    document = _document(asked, status=found.status, created_at=found.created_at, finished_at=found.finished_at,
                         instance_id=found.instance_id,
                         errors=[{"type": e.type, "message": e.message} for e in found.error],
                         outputs=listed, files=[str(p) for p in files])
    return _emit(fmt, "\n".join(lines), document)


_CANCEL_TEXT = {
    "cancelled": "cancelled",
    "not_cancellable": "not cancellable: it has already finished (or can no longer be stopped); nothing changed",
    "requested": "cancellation requested; check it with {status}",
}


def cancel(asked: Asked[wire.CancelResponse], fmt: str, invocation: Invocation) -> str:
    """What a cancel did: cancelled, not cancellable (finished), or requested (with how to check it)."""
    found = asked.answer
    said = _CANCEL_TEXT.get(found.outcome, f"outcome {found.outcome}").format(
        status=invocation.command("request", "status", asked.live.name, asked.request_id))
    text = f"Request {asked.request_id} of {asked.live.name}: {said}."
    return _emit(fmt, text, _document(asked, outcome=found.outcome))


def delete(asked: Asked[wire.DeleteRequestResponse], fmt: str) -> str:
    """How many stored objects a delete removed (0: nothing was left)."""
    count = asked.answer.deleted_objects
    text = f"Request {asked.request_id} of {asked.live.name}: deleted {count} stored object{'s' if count != 1 else ''}"
    text += " (nothing was left to delete: already deleted, or it stored none)." if count == 0 else "."
    return _emit(fmt, text, _document(asked, deleted_objects=count))
