"""The RunComfy API routes: deployments (v2), the async queue (v1 and v2) and the instance proxy.

Each handler parses the request, runs the pure logic of :mod:`.deployments` / :mod:`.requests`
inside one state transaction, and answers JSON. Errors are :class:`ApiError` raised from the
logic and rendered by the app's exception handler. Auth, the rate limit and faults are applied
before these handlers run (see :mod:`.app`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler.catalog import ERROR_DEPLOYMENT_DISABLED, ERROR_NOT_FOUND, ERROR_VALIDATION
from reconciler.emulator import comfyui, deployments, requests
from reconciler.emulator.clock import Clock, iso
from reconciler.emulator.errors import ApiError, error_response
from reconciler.emulator.faults import FaultInjector
from reconciler.emulator.state import EmulatorState
from reconciler.emulator.traffic import Traffic

DROP_KEY = "comfyops.emulator.drop"
"""Scope key a handler sets to make the app drop the connection instead of answering."""
PROXY_LOG_LIMIT = 50


@dataclass
class Context:
    """What every handler needs: the state, the clock and the fault injector."""

    state: EmulatorState
    clock: Clock
    faults: FaultInjector
    traffic: Traffic


def ctx(request: Request) -> Context:
    """The emulator context of the app serving ``request``."""
    context: Context = request.app.state.emulator
    return context


def base_url(request: Request) -> str:
    """The request's base URL without a trailing slash, for absolute URLs in answers."""
    return str(request.base_url).rstrip("/")


def files_url(request: Request) -> str:
    """The base URL of hosted files (outputs, object_info): the request's, under the configured
    ``outputs_host`` when one is set (RunComfy serves files from its storage, not the API host)."""
    host = ctx(request).state.config().get("outputs_host") or ""
    return str(request.base_url.replace(hostname=host)).rstrip("/") if host else base_url(request)


async def json_body(request: Request, *, empty: Any = None) -> Any:
    """The parsed JSON body (``empty`` when there is none); invalid JSON is 422001."""
    raw = await request.body()
    if not raw.strip():
        return empty
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ApiError(ERROR_VALIDATION, f"Request body is not valid JSON: {exc}") from None


def _includes(request: Request) -> set[str]:
    values: set[str] = set()
    for raw in request.query_params.getlist("includes"):
        values.update(part.strip() for part in raw.split(",") if part.strip())
    return values


async def list_deployments(request: Request) -> Response:
    """GET /prod/v2/deployments: a bare array, filtered by repeatable ``ids``."""
    c, includes = ctx(request), _includes(request)
    ids = {part for raw in request.query_params.getlist("ids") for part in raw.split(",") if part}
    with c.state.read() as data:
        records = [r for r in data["deployments"].values() if not r.get("deleted") and (not ids or r["id"] in ids)]
        records.sort(key=lambda r: r["created_at"])
        body = [deployments.view(data, r, includes, files_url(request)) for r in records]
    return JSONResponse(body)


async def create_deployment(request: Request) -> Response:
    """POST /prod/v2/deployments: validate, commit, answer the record (or an ambiguous failure)."""
    c, body = ctx(request), await json_body(request)
    with c.state.transaction() as data:
        record = deployments.create_record(data, body, iso(c.clock.now()))
        data["deployments"][record["id"]] = record
        answer = deployments.view(data, record, set(), files_url(request))
    lost = c.faults.ambiguous_create(request.method, request.url.path)
    if lost == "drop":
        request.scope[DROP_KEY] = True
    if lost is not None:
        return error_response(500001, "Internal server error")
    return JSONResponse(answer)


async def get_deployment(request: Request) -> Response:
    """GET /prod/v2/deployments/{id} with optional ``includes``."""
    c = ctx(request)
    with c.state.read() as data:
        record = deployments.live_record(data, request.path_params["deployment_id"])
        return JSONResponse(deployments.view(data, record, _includes(request), files_url(request)))


async def patch_deployment(request: Request) -> Response:
    """PATCH /prod/v2/deployments/{id}: partial update (``name`` required)."""
    c, body = ctx(request), await json_body(request)
    now = c.clock.now()
    with c.state.transaction() as data:
        record = deployments.live_record(data, request.path_params["deployment_id"])
        changes = deployments.patch_changes(data, record, body)
        if changes.get("is_enabled") is False and record["is_enabled"]:
            requests.abort_running(data, record["id"], now, "deployment_disabled", "The deployment was disabled")
        record.update(changes, updated_at=iso(now))
        return JSONResponse(deployments.view(data, record, set(), files_url(request)))


async def delete_deployment(request: Request) -> Response:
    """DELETE /prod/v2/deployments/{id}: permanent; later calls on it answer 10003."""
    c = ctx(request)
    now = c.clock.now()
    with c.state.transaction() as data:
        record = deployments.live_record(data, request.path_params["deployment_id"])
        requests.abort_running(data, record["id"], now, "deployment_deleted", "The deployment was deleted")
        record.update(deleted=True, updated_at=iso(now))
        return JSONResponse({**deployments.view(data, record, set(), files_url(request)), "status": "deleted"})


def _version(request: Request) -> str:
    return str(request.url.path.split("/")[2])


async def submit(request: Request) -> Response:
    """POST /prod/{v1,v2}/deployments/{id}/inference."""
    c, body = ctx(request), await json_body(request, empty={})
    with c.state.transaction() as data:
        record = deployments.live_record(data, request.path_params["deployment_id"])
        if not record["is_enabled"]:
            raise ApiError(ERROR_DEPLOYMENT_DISABLED, f"Deployment {record['id']} is disabled")
        req = requests.submit(data, record, body, c.clock.now())
    links = requests.urls(base_url(request), _version(request), record["id"], req["id"])
    return JSONResponse({"request_id": req["id"], **links})


def _request_call(request: Request, data: dict[str, Any]) -> dict[str, Any]:
    deployment_id = request.path_params["deployment_id"]
    deployments.live_record(data, deployment_id)
    return requests.find(data, deployment_id, request.path_params["request_id"])


async def request_status(request: Request) -> Response:
    """GET .../requests/{rid}/status."""
    c = ctx(request)
    with c.state.read() as data:
        req = _request_call(request, data)
        links = requests.urls(base_url(request), _version(request), req["deployment_id"], req["id"])
        return JSONResponse(requests.status_body(data, req, c.clock.now(), links))


async def request_result(request: Request) -> Response:
    """GET .../requests/{rid}/result."""
    c = ctx(request)
    with c.state.read() as data:
        req = _request_call(request, data)
        return JSONResponse(requests.result_body(req, c.clock.now(), files_url(request)))


async def cancel_request(request: Request) -> Response:
    """POST .../requests/{rid}/cancel: 202 with the outcome."""
    c = ctx(request)
    with c.state.transaction() as data:
        req = _request_call(request, data)
        result = requests.cancel(req, c.clock.now())
    return JSONResponse({"request_id": req["id"], "status": "completed", "outcome": result}, status_code=202)


async def delete_request(request: Request) -> Response:
    """DELETE .../requests/{rid}: purge a terminal request (409 while it runs)."""
    c = ctx(request)
    with c.state.transaction() as data:
        req = _request_call(request, data)
        removed = requests.delete(req, c.clock.now())
    return JSONResponse({"request_id": req["id"], "status": "deleted", "deleted_objects": removed})


async def instance_proxy(request: Request) -> Response:
    """POST (or GET) /prod/v2/deployments/{id}/instances/{iid}/proxy/{path}: ComfyUI on a live instance.

    An instance that is not running (never was, or idle past keep-warm) answers 404001; a live one
    answers as ComfyUI would (see :mod:`.comfyui`). Each call is logged under ``proxy_calls`` (the
    newest :data:`PROXY_LOG_LIMIT`) so tests can see what reached the instance.
    """
    c = ctx(request)
    body = await json_body(request)
    path = request.path_params["path"]
    with c.state.transaction() as data:
        record = deployments.live_record(data, request.path_params["deployment_id"])
        instance_id = request.path_params["instance_id"]
        if not requests.instance_live(data, record, instance_id, c.clock.now()):
            raise ApiError(
                ERROR_NOT_FOUND,
                f"Instance {instance_id} is not running",
            )
        own = data["workflows"].get(record["workflow_id"], {}).get(record["workflow_version"]) or {}
        graphs = [own, *(g for versions in data["workflows"].values() for g in versions.values())]
        hardware = (record.get("hardware") or [None])[0]
        found = comfyui.answer(path, body, graphs=graphs, hardware=hardware)
        log = data.setdefault("proxy_calls", [])
        log.append({"deployment_id": record["id"], "instance_id": instance_id, "method": request.method,
                    "path": path, "body": body, "status": found.status})
        del log[:-PROXY_LOG_LIMIT]
    return Response(found.content, status_code=found.status, media_type=found.media_type or None)


def routes() -> list[Route]:
    """Every API route; queue routes are mounted under both ``/prod/v1`` and ``/prod/v2``."""
    table = [
        Route("/prod/v2/deployments", list_deployments, methods=["GET"]),
        Route("/prod/v2/deployments", create_deployment, methods=["POST"]),
        Route("/prod/v2/deployments/{deployment_id}", get_deployment, methods=["GET"]),
        Route("/prod/v2/deployments/{deployment_id}", patch_deployment, methods=["PATCH"]),
        Route("/prod/v2/deployments/{deployment_id}", delete_deployment, methods=["DELETE"]),
        Route(
            "/prod/v2/deployments/{deployment_id}/instances/{instance_id}/proxy/{path:path}",
            instance_proxy,
            methods=["GET", "POST"],
        ),
    ]
    for version in ("v1", "v2"):
        root = f"/prod/{version}/deployments/{{deployment_id}}"
        table += [
            Route(f"{root}/inference", submit, methods=["POST"]),
            Route(f"{root}/requests/{{request_id}}/status", request_status, methods=["GET"]),
            Route(f"{root}/requests/{{request_id}}/result", request_result, methods=["GET"]),
            Route(f"{root}/requests/{{request_id}}/cancel", cancel_request, methods=["POST"]),
            Route(f"{root}/requests/{{request_id}}", delete_request, methods=["DELETE"]),
        ]
    return table
