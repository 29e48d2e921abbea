"""The smoke runner's calls, paced a little under the client's rate limit.

Effectful (blocks on a token bucket). The client's shared bucket runs at exactly the documented
account limit (1 request/s, burst 5). Requests reach the server with jitter (thread scheduling, the
server's event loop, the network), so two calls the client sends 1.00 s apart can arrive 0.98 s apart
and draw a ``429``. Smoke tests are the one place that sends long steady streams at the limit (many
polls), so :class:`PacedClient` takes a token from a second bucket at :data:`MARGIN` of the client's
rate before every call it forwards; the client's own bucket still applies on top.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from reconciler.runcomfy import wire
from reconciler.runcomfy.client import RunComfyClient
from reconciler.runcomfy.ratelimit import TokenBucket

MARGIN: Final[float] = 0.9
"""Fraction of the client's rate the smoke runner uses; absorbs ~10% arrival jitter."""


class PacedClient:
    """The queue calls of a :class:`RunComfyClient`, each first taking a token from a slower bucket."""

    def __init__(self, client: RunComfyClient, *, margin: float = MARGIN) -> None:
        self.client = client
        limiter = client.limiter
        self.gate = TokenBucket(limiter.rate * margin, limiter.burst)
        self.rate = limiter.rate * margin

    def list_deployments(self) -> list[wire.Deployment]:
        """Every live deployment (one call)."""
        self.gate.acquire()
        return self.client.list_deployments()

    def submit_inference(
        self, deployment_id: str, *, overrides: Mapping[str, Any] | None, extra_data: Mapping[str, Any] | None
    ) -> wire.SubmitResponse:
        """Queue one run (never re-sent once it may have landed; see the client)."""
        self.gate.acquire()
        return self.client.submit_inference(deployment_id, overrides=overrides, extra_data=extra_data)

    def request_status(self, deployment_id: str, request_id: str) -> wire.RequestStatus:
        """A request's status."""
        self.gate.acquire()
        return self.client.request_status(deployment_id, request_id)

    def request_result(self, deployment_id: str, request_id: str) -> wire.RequestResult:
        """A finished request's result."""
        self.gate.acquire()
        return self.client.request_result(deployment_id, request_id)

    def cancel_request(self, deployment_id: str, request_id: str) -> wire.CancelResponse:
        """Cancel a request."""
        self.gate.acquire()
        return self.client.cancel_request(deployment_id, request_id)

    def delete_request(self, deployment_id: str, request_id: str) -> wire.DeleteRequestResponse:
        """Purge a terminal request's stored inputs and outputs."""
        self.gate.acquire()
        return self.client.delete_request(deployment_id, request_id)

    def download(self, url: str) -> bytes:
        """An output file's bytes."""
        self.gate.acquire()
        return self.client.download(url)
