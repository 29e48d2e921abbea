"""Reading live state: one list call, turned into normalised LiveDeployments.

Effectful (one API call). Plan never costs one request per deployment: the whole account is read
with a single ``GET /prod/v2/deployments``, with ``includes=payload`` only when a caller needs the
deployed workflow graphs.
"""

from __future__ import annotations

from reconciler.engine import live
from reconciler.runcomfy import wire
from reconciler.runcomfy.client import RunComfyClient


def observe(
    client: RunComfyClient, *, include_payload: bool = False, ids: tuple[str, ...] = ()
) -> list[live.LiveDeployment]:
    """Every live deployment of the account (or those in ``ids``), normalised, in one API request."""
    return observe_with_wire(client, include_payload=include_payload, ids=ids)[1]


def observe_with_wire(
    client: RunComfyClient, *, include_payload: bool = False, ids: tuple[str, ...] = ()
) -> tuple[list[wire.Deployment], list[live.LiveDeployment]]:
    """The same one request, also returning the API's records (for callers such as smoke that take them)."""
    deployments = client.list_deployments(include_payload=include_payload, ids=ids)
    return deployments, live.from_api_list(d.model_dump(mode="json") for d in deployments)
