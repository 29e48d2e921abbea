"""Calling ComfyUI on a live instance (``proxy``, ``free``), with failures explained.

Effectful shell. An instance id is valid only while its instance runs, so the most common failure
is an instance that has shut down: it gets the lifecycle explanation and the way to a fresh id.
ComfyUI's own errors (an unknown route) are told apart from RunComfy's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from reconciler.errors import ReconcilerError
from reconciler.runcomfy import errors, proxy, wire

T = TypeVar("T")


def fresh_instance_hint(deployment: wire.Deployment) -> str:
    """How to get a live instance id for ``deployment`` (a sentence to follow "To get one, ")."""
    from reconciler.cli.followups import followup

    return (f"submit a request ({followup('run', deployment.name)}) and read its instance id once it is "
            f"in_progress: {followup('requests', '--refresh')}.")


def lifecycle_hint(deployment: wire.Deployment) -> str:
    """How instance ids live and die, and how to get a fresh one, for ``deployment``."""
    keep_warm = deployment.keep_warm_duration_in_seconds
    idle = f"{keep_warm}s" if keep_warm is not None else "keep_warm_duration_in_seconds"
    return (
        "Instance ids are valid only while their instance runs: an instance shuts down after "
        f"{idle} without requests (the keep-warm of {deployment.name}).\n"
        f"To start a fresh one, {fresh_instance_hint(deployment)}"
    )


def on_instance(deployment: wire.Deployment, instance_id: str, path: str, call: Callable[[], T]) -> T:
    """Run ``call`` (a proxy call); a failure becomes one clear error about the instance or ComfyUI."""
    try:
        return call()
    except errors.ApiError as error:
        if proxy.instance_unreachable(error):
            raise ReconcilerError(
                f"instance {instance_id} of {deployment.name} is not running ({error.reason})",
                lifecycle_hint(deployment),
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
