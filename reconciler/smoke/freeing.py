"""``spec.smoke.free_memory_after``: free the instance that served a smoke request, once it is checked.

Effectful (one proxy call). ``api/free`` with ``unload_models`` and ``free_memory`` is sent to the
instance named by the request's result, so the next real request starts from a clean GPU. A free
that fails is a warning on the result, never a change of its verdict: the deployment did what the
test asked; the instance may simply have shut down already.
"""

from __future__ import annotations

from dataclasses import replace

from reconciler.runcomfy import errors
from reconciler.runcomfy.client import RunComfyClient
from reconciler.smoke.report import DeploymentResult


def free_after(client: RunComfyClient, result: DeploymentResult) -> DeploymentResult:
    """``result`` with the outcome of freeing its instance: ``free_memory`` on success, else a warning."""
    if result.deployment_id is None:
        return result
    if not result.instance_id:
        note = "free_memory_after: the result named no instance, so nothing was freed"
        return replace(result, warnings=(*result.warnings, note))
    try:
        client.free_instance(result.deployment_id, result.instance_id, unload_models=True, free_memory=True)
    except errors.ApiError as error:
        note = f"free_memory_after: could not free instance {result.instance_id}: {error.summary}"
        return replace(result, warnings=(*result.warnings, note))
    return replace(result, free_memory=f"freed {result.instance_id} (models unloaded, memory freed)")
