"""The ``proxy`` use case: calling ComfyUI on a live instance, with failures explained (``free`` too).

Effectful, no printing. An instance id is valid only while its instance runs, so the most common failure
is an instance that has shut down: it gets the lifecycle explanation and the way to a fresh id.
ComfyUI's own errors (an unknown route) are told apart from RunComfy's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from reconciler.errors import ReconcilerError
from reconciler.manifest.desired import DesiredState
from reconciler.runcomfy import errors, proxy, wire
from reconciler.session.lookup import client_for, find_live
from reconciler.session.session import Session

T = TypeVar("T")


def proxy_call(app: Session, desired: DesiredState | None, deployment: str, instance_id: str, path: str, *,
               body: Any, method: str) -> wire.ProxyAnswer:
    """ComfyUI's answer to ``method PATH`` (with the JSON ``body``) on an instance of DEPLOYMENT (a live name
    or id). A GET is retried like any read; a POST is sent once (a proxied ``api/prompt`` must not run twice),
    with ``{}`` for no body (the documented calls always carry a JSON body; ComfyUI reads {} as "no options")."""
    if method == "POST" and body is None:
        body = {}
    client = client_for(app, desired)
    live = find_live(client, deployment)
    return on_instance(app, live, instance_id, path, lambda: client.proxy(
        live.id, instance_id, path, json=body, method=method, idempotent=method == "GET"))


def fresh_instance_hint(app: Session, deployment: wire.Deployment) -> str:
    """How to get a live instance id for ``deployment`` (a sentence to follow "To get one, ")."""
    hint = app.invocation()
    return (f"submit a request ({hint.command('run', deployment.name)}) and read its instance id once it is "
            f"in_progress: {hint.command('requests', '--refresh')}.")


def lifecycle_hint(app: Session, deployment: wire.Deployment) -> str:
    """How instance ids live and die, and how to get a fresh one, for ``deployment``."""
    keep_warm = deployment.keep_warm_duration_in_seconds
    idle = f"{keep_warm}s" if keep_warm is not None else "keep_warm_duration_in_seconds"
    return (
        "Instance ids are valid only while their instance runs: an instance shuts down after "
        f"{idle} without requests (the keep-warm of {deployment.name}).\n"
        f"To start a fresh one, {fresh_instance_hint(app, deployment)}"
    )


def on_instance(app: Session, deployment: wire.Deployment, instance_id: str, path: str, call: Callable[[], T]) -> T:
    """Run ``call`` (a proxy call); a failure becomes one clear error about the instance or ComfyUI."""
    try:
        return call()
    except errors.ApiError as error:
        if proxy.instance_unreachable(error):
            raise ReconcilerError(
                f"instance {instance_id} of {deployment.name} is not running ({error.reason})",
                lifecycle_hint(app, deployment),
            ) from error
        if proxy.from_comfyui(error):
            route = path.strip("/")
            if error.status == 404:
                raise ReconcilerError(
                    f"ComfyUI on instance {instance_id} has no route {route!r} ({error.message or '404: Not Found'})",
                    "ComfyUI routes include object_info, object_info/<NodeClass>, system_stats and api/free.",
                ) from error
            hint = "The route may need the other method: try --method GET or --method POST." if (
                error.status == 405) else ""
            raise ReconcilerError(
                f"ComfyUI on instance {instance_id} answered {route!r} with HTTP {error.status}: "
                f"{error.message or 'no message'}",
                hint,
            ) from error
        raise
