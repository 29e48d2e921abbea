"""The RunComfy emulator as one ASGI app, used in process (``--emulator``) and by ``emulator serve``.

:func:`create_app` returns an :class:`EmulatorApp`: a thin ASGI wrapper that checks the bearer
token, applies the per-account rate limit and injected faults, and then hands the request to a
Starlette router (:mod:`.routes_api` for the RunComfy API, :mod:`.routes_emulator` for
``/_emulator/*``). The wrapper sits outside Starlette so that it holds the server's own ``send``
and can drop a connection without any response.

Choices where the docs are silent (the stricter reading where there was one):

- Auth: any non-empty ``Bearer`` token (or exactly ``required_token`` when pinned); otherwise
  401001. ``/_emulator/*`` (setup and hosted output files, which are public URLs) needs none.
- Order of checks: auth, then rate limit, then faults, then the route.
- Rate limit: token bucket per token, default 1/s with a burst of 5 (catalog), settable in the
  config; 429 ``{"error_code": "rate_limited"}`` with ``Retry-After`` in whole seconds (at least 1).
- Unknown deployment: 404001. Deleted deployment: GET/PATCH/DELETE, submit and request routes all
  answer 10003 with HTTP 404; it disappears from the list. Disabled deployment: submit answers
  10002 with HTTP 403 (refused, not a 400 "bad request"); status/result/cancel still work.
- DELETE of a deployment answers its record with ``status: "deleted"``.
- Request delete while queued or running: 409 with error code 409001.
- Unknown routes: 404001; wrong method: 405 with code 405001.
- Instance proxy: an instance is live from its request's start until keep-warm after its last
  request ends; a call to any other answers 404001. A live one answers like ComfyUI (:mod:`.comfyui`).
- Webhooks are accepted and validated as strings but never delivered.
- Dropped connection: under uvicorn the socket is aborted before any byte is sent (clients see a
  transport error); under an in-memory ASGI client :class:`ConnectionDropped` is raised instead.
- Ambiguous create: the deployment is committed, then the answer is a 500001 or a drop.
"""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from reconciler.catalog import ERROR_INTERNAL, ERROR_RATE_LIMITED, ERROR_UNAUTHORIZED
from reconciler.emulator import routes_api, routes_emulator
from reconciler.emulator.clock import Clock, SystemClock
from reconciler.emulator.errors import ApiError, error_response
from reconciler.emulator.faults import FaultInjector, TokenBucket
from reconciler.emulator.state import EmulatorState
from reconciler.emulator.traffic import Traffic

EMULATOR_PREFIX = "/_emulator"


class ConnectionDropped(ConnectionError):
    """Raised (outside uvicorn) where a real server would close the socket without answering."""


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.code, exc.message, exc.detail)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code * 1000 + 1, str(exc.detail))


async def _drop(send: Send) -> None:
    """Abort the client's socket without a response (uvicorn), or raise :class:`ConnectionDropped`."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise ConnectionDropped("emulated dropped connection")
    transport.abort()
    for _ in range(3):  # let the server notice the disconnect so it does not answer a 500 afterwards
        await asyncio.sleep(0)


class EmulatorApp:
    """ASGI app: auth, rate limit and faults around the emulator's Starlette router."""

    def __init__(self, state: EmulatorState, clock: Clock, required_token: str | None = None) -> None:
        """Serve ``state`` with ``clock``; pin the bearer token to ``required_token`` if given."""
        self.state = state
        self.clock = clock
        self.required_token = required_token
        self.faults = FaultInjector(state)
        self.limiter = TokenBucket()
        self.traffic = Traffic()
        self.router = Starlette(
            routes=[*routes_api.routes(), *routes_emulator.routes()],
            exception_handlers={ApiError: _api_error, HTTPException: _http_error},
        )
        self.router.state.emulator = routes_api.Context(
            state=state, clock=clock, faults=self.faults, traffic=self.traffic
        )

    def register_workflow(self, workflow_id: str, version: str, graph: dict[str, Any]) -> None:
        """Register a workflow version so deployments can name it."""
        self.state.register_workflow(workflow_id, version, graph)

    def configure(self, **settings: Any) -> dict[str, Any]:
        """Change behaviour settings (``queue_seconds``, ``run_seconds``, ``fail_next_runs``, rate limit)."""
        return self.state.configure(**settings)

    def _token(self, scope: Scope) -> str | None:
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                text: str = bytes(value).decode("latin-1")
                scheme, _, token = text.partition(" ")
                token = token.strip()
                if scheme.lower() == "bearer" and token:
                    return token
        return None

    def _gate(self, scope: Scope, token: str | None) -> Response | None:
        if token is None or (self.required_token is not None and token != self.required_token):
            return error_response(ERROR_UNAUTHORIZED, "Unauthorized: a valid Bearer token is required")
        config = self.state.config()
        if config["rate_limit_enabled"]:
            wait = self.limiter.take(token, config["rate_limit_per_second"], config["rate_limit_burst"])
            if wait > 0:
                return self._rate_limited(wait)
        return None

    @staticmethod
    def _rate_limited(wait: float) -> Response:
        retry = "3600" if math.isinf(wait) else str(max(1, math.ceil(wait)))
        return error_response(
            ERROR_RATE_LIMITED,
            "Rate limit exceeded: one request per second per account",
            headers={"Retry-After": retry},
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if scope["type"] != "http" or scope["path"].startswith(EMULATOR_PREFIX):
            await self.router(scope, receive, send)
            return
        await self._serve_api(scope, receive, send, _counting(send, scope["method"], self.traffic))

    async def _serve_api(self, scope: Scope, receive: Receive, raw_send: Send, send: Send) -> None:
        # ``raw_send`` is the server's own: dropping a connection needs its transport.
        refusal = self._gate(scope, self._token(scope))
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        latency, action = self.faults.decide(scope["method"], scope["path"])
        if latency > 0:
            await asyncio.sleep(latency)
        if action == "drop":
            await _drop(raw_send)
            return
        if action is not None:
            fault = (
                error_response(ERROR_INTERNAL, "Internal server error (injected)")
                if action == "error"
                else self._rate_limited(1.0)
            )
            await fault(scope, receive, send)
            return

        async def guarded_send(message: Message) -> None:
            if not scope.get(routes_api.DROP_KEY):
                await send(message)

        await self.router(scope, receive, guarded_send)
        if scope.get(routes_api.DROP_KEY):
            await _drop(raw_send)


def _counting(send: Send, method: str, traffic: Traffic) -> Send:
    """``send``, counting the response's status in ``traffic`` (a dropped connection is not counted)."""

    async def counted(message: Message) -> None:
        if message["type"] == "http.response.start":
            traffic.record(method, int(message["status"]))
        await send(message)

    return counted


def create_app(
    state_dir: Path | None = None,
    *,
    state: EmulatorState | None = None,
    clock: Clock | None = None,
    required_token: str | None = None,
    read_only: bool = False,
) -> EmulatorApp:
    """Build the emulator app over ``state`` (or a state in ``state_dir``, default per env; ``read_only``:
    changes stay in memory)."""
    return EmulatorApp(
        state if state is not None else EmulatorState(state_dir, read_only=read_only),
        clock or SystemClock(),
        required_token=required_token,
    )
