"""Emulator-only routes under ``/_emulator``: setup, knobs and hosted files (no auth, no faults).

- ``GET /_emulator/health``: ``{"ok": true}``.
- ``GET|POST /_emulator/workflows``: list; register ``{"workflow_id", "version", "workflow_api_json"}`` (a Cloud
  Save: beyond three versions it removes the oldest no deployment uses, and says which in ``removed_versions``).
- ``GET|POST /_emulator/config``: read; change ``queue_seconds``, ``run_seconds``, ``fail_next_runs``,
  ``rate_limit_enabled``, ``rate_limit_per_second``, ``rate_limit_burst``, ``noise``, ``outputs_host`` (the
  host name hosted files are linked under, to serve them from another host name than the API's).
- ``GET|POST|DELETE /_emulator/faults``: read; replace (see :class:`.faults.FaultConfig`); clear.
- ``POST /_emulator/reset``: forget everything; answers what was cleared.
- ``GET|DELETE /_emulator/traffic``: API request counts by status and method; DELETE zeroes them.
- ``GET /_emulator/outputs/{request_id}/{filename}``: the bytes of a hosted output, drawn by
  :mod:`.picture` from the run's inputs (PNG, APNG, WebP, GIF, MP4, WebM, FLAC, MP3, Opus).
- ``GET /_emulator/object_info/{workflow_id}/{version}``: a small object_info for that workflow.
"""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler.catalog import ERROR_NOT_FOUND, ERROR_VALIDATION
from reconciler.emulator import requests, workflows
from reconciler.emulator.errors import ApiError
from reconciler.emulator.routes_api import ctx, json_body


async def health(request: Request) -> Response:
    """Liveness probe."""
    return JSONResponse({"ok": True})


async def list_workflows(request: Request) -> Response:
    """Registered workflow ids and versions."""
    return JSONResponse(ctx(request).state.workflows())


async def register_workflow(request: Request) -> Response:
    """Register (or replace) one workflow version's ``workflow_api.json``."""
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ApiError(ERROR_VALIDATION, "Body must be an object")
    problems = [
        {"loc": ["body", key], "msg": f"{key} must be a non-empty string"}
        for key in ("workflow_id", "version")
        if not isinstance(body.get(key), str) or not body[key]
    ]
    problems += workflows.graph_problems(body.get("workflow_api_json"))
    if problems:
        raise ApiError(ERROR_VALIDATION, "Invalid workflow registration", problems)
    removed = ctx(request).state.register_workflow(body["workflow_id"], body["version"], body["workflow_api_json"])
    return JSONResponse(
        {"workflow_id": body["workflow_id"], "version": body["version"], "removed_versions": removed}, status_code=201
    )


async def config(request: Request) -> Response:
    """Read (GET) or change (POST) the emulator's behaviour settings."""
    state = ctx(request).state
    if request.method == "GET":
        return JSONResponse(state.config())
    body = await json_body(request, empty={})
    if not isinstance(body, dict):
        raise ApiError(ERROR_VALIDATION, "Body must be an object")
    try:
        return JSONResponse(state.configure(**body))
    except ValueError as exc:
        raise ApiError(ERROR_VALIDATION, str(exc)) from None


async def faults(request: Request) -> Response:
    """Read (GET), replace (POST) or clear (DELETE) the fault config."""
    injector = ctx(request).faults
    if request.method == "DELETE":
        injector.clear()
    elif request.method == "POST":
        body = await json_body(request, empty={})
        if not isinstance(body, dict):
            raise ApiError(ERROR_VALIDATION, "Body must be an object")
        try:
            injector.set(**body)
        except (TypeError, ValueError) as exc:
            raise ApiError(ERROR_VALIDATION, str(exc)) from None
    return JSONResponse(injector.config().to_dict())


async def traffic(request: Request) -> Response:
    """Read (GET) the API request counts, or read and zero them (DELETE)."""
    counter = ctx(request).traffic
    return JSONResponse(counter.reset() if request.method == "DELETE" else counter.snapshot())


async def reset(request: Request) -> Response:
    """Forget every deployment, workflow, request, setting and fault."""
    return JSONResponse({"cleared": ctx(request).state.reset()})


async def output_file(request: Request) -> Response:
    """Serve a hosted output's bytes; 404 once the request was deleted or for unknown files."""
    from reconciler.emulator import picture  # numpy, Pillow and PyAV: only when a file is downloaded

    c = ctx(request)
    request_id, filename = request.path_params["request_id"], request.path_params["filename"]
    with c.state.read() as data:
        req = data["requests"].get(request_id)
        now = c.clock.now()
        listed = req is not None and requests.phase(req, now) == "completed" and filename in requests.output_files(req)
        found = requests.output_file(req, filename) if listed and req is not None else None
        if req is None or found is None:
            raise ApiError(ERROR_NOT_FOUND, f"Output {filename} not found")
        graph_json = json.dumps(req["graph"], sort_keys=True)
        configured = data["config"].get("noise", 0.0)
    try:
        noise = picture.noise_level(configured)
    except ValueError as exc:
        raise ApiError(ERROR_VALIDATION, str(exc)) from None
    node_id, index, extension, animated = found
    content = await run_in_threadpool(
        picture.file_bytes, graph_json, node_id, index, extension, animated, noise, f"{request_id}/{filename}"
    )
    return Response(content, media_type=_MEDIA_TYPES.get(extension, "application/octet-stream"))


_MEDIA_TYPES = {
    "png": "image/png", "webp": "image/webp", "gif": "image/gif", "mp4": "video/mp4", "webm": "video/webm",
    "mov": "video/quicktime", "flac": "audio/flac", "mp3": "audio/mpeg", "opus": "audio/ogg",
}


async def workflow_object_info(request: Request) -> Response:
    """A small object_info for the node classes of a registered workflow version."""
    graph = ctx(request).state.workflow(request.path_params["workflow_id"], request.path_params["version"])
    if graph is None:
        raise ApiError(ERROR_NOT_FOUND, "Workflow version not registered")
    return JSONResponse(workflows.object_info(graph))


def routes() -> list[Route]:
    """Every emulator-only route."""
    return [
        Route("/_emulator/health", health, methods=["GET"]),
        Route("/_emulator/workflows", list_workflows, methods=["GET"]),
        Route("/_emulator/workflows", register_workflow, methods=["POST"]),
        Route("/_emulator/config", config, methods=["GET", "POST"]),
        Route("/_emulator/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/_emulator/reset", reset, methods=["POST"]),
        Route("/_emulator/traffic", traffic, methods=["GET", "DELETE"]),
        Route("/_emulator/outputs/{request_id}/{filename}", output_file, methods=["GET"]),
        Route("/_emulator/object_info/{workflow_id}/{version}", workflow_object_info, methods=["GET"]),
    ]
