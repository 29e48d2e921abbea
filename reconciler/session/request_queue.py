"""The ``request`` use cases: one request's queue endpoints (status, result, cancel, delete).

Effectful, no printing. Each makes one list call (DEPLOYMENT by name or id, :mod:`.lookup`) and one queue
call, notes what it saw in the request's history entry when it has one (a failed history write only warns),
and returns the API's answer as an :class:`Answered` for the command to render
(:mod:`reconciler.render.request`). Outcomes are the API's: cancel answers ``cancelled`` or
``not_cancellable``; delete answers how many stored objects it removed, and on 409 (the request is still
running) is refused with the commands that cancel, then delete. Output URLs are signed credentials: only
``result`` with ``out`` touches them, to download the files into that folder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Generic, TypeVar

from reconciler.errors import ReconcilerError
from reconciler.manifest.desired import DesiredState
from reconciler.runcomfy import errors, wire
from reconciler.runcomfy.client import RunComfyClient
from reconciler.session.lookup import client_for, find_live
from reconciler.session.recording import store
from reconciler.session.running import save_outputs
from reconciler.session.session import Session

T = TypeVar("T")

FINISHED = ("succeeded", "failed", "cancelled")
"""A result's statuses that no longer change."""


@dataclass(frozen=True)
class Answered(Generic[T]):
    """One queue call's answer about a request, with the live deployment it belongs to."""

    live: wire.Deployment
    request_id: str
    answer: T
    files: tuple[Path, ...] = ()
    """The output files ``result`` downloaded (with ``out``)."""


def status(app: Session, desired: DesiredState | None, deployment: str, request_id: str
           ) -> Answered[wire.RequestStatus]:
    """The request's queue status and instance (the history entry notes them)."""
    _client, asked = _ask(app, desired, deployment, request_id,
                          lambda client, live: client.request_status(live.id, request_id))
    _record(app, request_id, status=asked.answer.status, instance_id=asked.answer.instance_id)
    return asked


def result(app: Session, desired: DesiredState | None, deployment: str, request_id: str, out: Path | None
           ) -> Answered[wire.RequestResult]:
    """The request's outcome, errors and outputs; with ``out``, a succeeded request's files downloaded there."""
    client, asked = _ask(app, desired, deployment, request_id,
                         lambda client, live: client.request_result(live.id, request_id))
    found = asked.answer
    _record(app, request_id, outcome=found.status if found.status in FINISHED else None,
            instance_id=found.instance_id)
    if out is None or not found.succeeded:
        return asked
    return Answered(asked.live, request_id, found, tuple(save_outputs(client, found, out)))


def cancel(app: Session, desired: DesiredState | None, deployment: str, request_id: str
           ) -> Answered[wire.CancelResponse]:
    """Cancel a queued or running request: ``cancelled``, or ``not_cancellable`` when it has finished."""
    _client, asked = _ask(app, desired, deployment, request_id,
                          lambda client, live: client.cancel_request(live.id, request_id))
    if asked.answer.outcome == "cancelled":
        _record(app, request_id, status="cancelled", outcome="cancelled")
    return asked


def delete(app: Session, desired: DesiredState | None, deployment: str, request_id: str
           ) -> Answered[wire.DeleteRequestResponse]:
    """Purge a finished request's stored inputs and outputs; a running one is refused (cancel it first)."""

    def purge(client: RunComfyClient, live: wire.Deployment) -> wire.DeleteRequestResponse:
        try:
            return client.delete_request(live.id, request_id)
        except errors.ConflictError as error:
            hint = app.invocation()
            raise ReconcilerError(
                f"request {request_id} of {live.name} is still running ({error.reason}): "
                "only a finished request's assets can be deleted",
                f"Cancel it first: {hint.command('request', 'cancel', live.name, request_id)}\n"
                f"then delete it: {hint.command('request', 'delete', live.name, request_id)}",
            ) from error

    return _ask(app, desired, deployment, request_id, purge)[1]


def _ask(app: Session, desired: DesiredState | None, deployment: str, request_id: str,
         call: Callable[[RunComfyClient, wire.Deployment], T]) -> tuple[RunComfyClient, Answered[T]]:
    """DEPLOYMENT found live (one list call), then one queue call about ``request_id``: ``call(client, live)``."""
    client = client_for(app, desired)
    live = find_live(client, deployment)
    return client, Answered(live, request_id, _call(live, request_id, lambda: call(client, live)))


def _call(live: wire.Deployment, request_id: str, call: Callable[[], T]) -> T:
    """Run one queue call; a 404 becomes "no such request on this deployment"."""
    try:
        return call()
    except errors.NotFoundError as error:
        raise ReconcilerError(
            f"no request {request_id} on deployment {live.name} ({error.reason})",
            "A request belongs to the deployment it was submitted to; `comfyops requests` lists the ones "
            "submitted from here.",
        ) from error


def _record(app: Session, request_id: str, **observed: str | None) -> None:
    """Note what was seen in the history entry of ``request_id``, if the history has one."""
    history = store()
    try:
        known = history.find(request_id)
        if known is not None:
            history.write(known.observed(datetime.now(UTC), **observed))
    except ReconcilerError as error:
        app.out.note(f"warning: request history not updated: {error.summary}")
