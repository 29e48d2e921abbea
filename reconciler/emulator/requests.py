"""Inference requests: submit, the clock-driven lifecycle, status and result bodies, cancel, delete.

Pure functions over the state's data dict. A request stores its timestamps (created, and the
queue/run durations in force when it was submitted); its state is derived from "now":
``in_queue`` for ``queue_seconds``, then ``in_progress`` on an instance for ``run_seconds``, then
``completed`` (result ``succeeded``, or ``failed`` when it consumed a ``fail_next_runs`` credit).
Stricter or chosen readings where the docs are silent:

- Cancelling an ``in_progress`` request cancels it too (outcome ``cancelled``); a terminal one is
  ``not_cancellable``. Either way the response is 202 with ``status: "completed"``.
- Disabling or deleting a deployment fails its queued and running requests at once (result
  ``failed``, error type ``deployment_disabled``/``deployment_deleted``), as the docs say of disabling.
- ``deleted_objects`` counts media inputs (override values that are URLs or data URIs) plus output
  files; after a delete, status still answers, the result has ``outputs: {}`` and the files 404.
- Instances: a request reuses the deployment's previous instance if it is still warm
  (``keep_warm_duration_in_seconds`` after its last request finished) when the request starts.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from reconciler.catalog import ERROR_NOT_FOUND
from reconciler.emulator import workflows
from reconciler.emulator.clock import iso
from reconciler.emulator.errors import ApiError
from reconciler.workflow import outputs as wf_outputs

TERMINAL = ("completed", "cancelled")


def _start(req: dict[str, Any]) -> float:
    return float(req["created"] + req["queue_seconds"])


def _natural_end(req: dict[str, Any]) -> float:
    return _start(req) + float(req["run_seconds"])


def phase(req: dict[str, Any], now: float) -> str:
    """``in_queue``, ``in_progress``, ``completed`` or ``cancelled`` at time ``now``."""
    if req.get("cancelled_at") is not None and req["cancelled_at"] <= now:
        return "cancelled"
    if req.get("aborted_at") is not None and req["aborted_at"] <= now:
        return "completed"
    if now < _start(req):
        return "in_queue"
    return "in_progress" if now < _natural_end(req) else "completed"


def finished_at(req: dict[str, Any]) -> float:
    """When the request ended (or will end, if nothing interrupts it)."""
    for key in ("cancelled_at", "aborted_at"):
        if req.get(key) is not None:
            return float(req[key])
    return _natural_end(req)


def outcome(req: dict[str, Any]) -> str:
    """``succeeded``, ``failed`` or ``cancelled`` for a terminal request."""
    if req.get("cancelled_at") is not None:
        return "cancelled"
    return "failed" if req.get("aborted_at") is not None or req.get("fail") else "succeeded"


def _count_media(value: Any) -> int:
    if isinstance(value, str):
        return int(value.startswith(("data:", "http://", "https://")))
    if isinstance(value, dict):
        return sum(_count_media(v) for v in value.values())
    if isinstance(value, list):
        return sum(_count_media(v) for v in value)
    return 0


def _instance_for(data: dict[str, Any], deployment: dict[str, Any], start: float) -> str:
    previous = [r for r in data["requests"].values() if r["deployment_id"] == deployment["id"]]
    if previous:
        last = max(previous, key=lambda r: r["created"])
        if finished_at(last) + deployment["keep_warm_duration_in_seconds"] >= start:
            return str(last["instance_id"])
    return f"instance-{uuid.uuid4().hex[:12]}"


def submit(data: dict[str, Any], deployment: dict[str, Any], body: Any, now: float) -> dict[str, Any]:
    """Validate a submit body, store the request and return its record; raises :class:`ApiError`."""
    if not isinstance(body, dict):
        raise ApiError(422001, "Request body must be a JSON object")
    problems: list[dict[str, Any]] = []
    inline = body.get("workflow_api_json")
    if inline is not None:
        problems += workflows.graph_problems(inline)
        graph = inline
    else:
        graph = data["workflows"].get(deployment["workflow_id"], {}).get(deployment["workflow_version"]) or {}
    overrides = body.get("overrides")
    if inline is None and overrides is None:  # RunComfy's first 422001: the saved workflow needs the object
        problems.append({"loc": ["body", "overrides"], "msg": "field required: send {} to run the workflow unchanged",
                         "type": "value_error.missing"})
    overrides = overrides or {}
    if not problems:
        problems += workflows.override_problems(graph, overrides)
    for key in ("extra_data",):
        if key in body and not isinstance(body[key], dict):
            problems.append({"loc": ["body", key], "msg": f"{key} must be an object", "type": "type_error"})
    for key in ("webhook", "webhook_url"):
        if body.get(key) is not None and not isinstance(body[key], str):
            problems.append({"loc": ["body", key], "msg": f"{key} must be a URL string", "type": "type_error"})
    if problems:
        raise ApiError(422001, "Invalid request: overrides must match the deployed workflow", problems)
    config = data["config"]
    fail = config.get("fail_next_runs", 0) > 0
    if fail:
        config["fail_next_runs"] -= 1
    req = {
        "id": str(uuid.uuid4()),
        "deployment_id": deployment["id"],
        "created": now,
        "queue_seconds": float(config["queue_seconds"]),
        "run_seconds": float(config["run_seconds"]),
        "fail": fail,
        "cancelled_at": None,
        "aborted_at": None,
        "error": None,
        "deleted": False,
        "graph": workflows.apply_overrides(graph, overrides),
        "media_inputs": _count_media(overrides),
    }
    req["instance_id"] = _instance_for(data, deployment, _start(req))
    data["requests"][req["id"]] = req
    return req


def find(data: dict[str, Any], deployment_id: str, request_id: str) -> dict[str, Any]:
    """The request ``request_id`` of deployment ``deployment_id``; raises 404001 otherwise."""
    req = data["requests"].get(request_id)
    if req is None or req["deployment_id"] != deployment_id:
        raise ApiError(ERROR_NOT_FOUND, f"Request {request_id} not found for deployment {deployment_id}")
    result: dict[str, Any] = req
    return result


def urls(base: str, version: str, deployment_id: str, request_id: str) -> dict[str, str]:
    """The absolute status/result/cancel URLs of a request."""
    root = f"{base}/prod/{version}/deployments/{deployment_id}/requests/{request_id}"
    return {"status_url": f"{root}/status", "result_url": f"{root}/result", "cancel_url": f"{root}/cancel"}


def status_body(data: dict[str, Any], req: dict[str, Any], now: float, links: dict[str, str]) -> dict[str, Any]:
    """The status endpoint's answer at time ``now``."""
    state = phase(req, now)
    body: dict[str, Any] = {"request_id": req["id"], "status": state}
    if state == "in_queue":
        body["queue_position"] = sum(
            1
            for other in data["requests"].values()
            if other["deployment_id"] == req["deployment_id"]
            and other["created"] < req["created"]
            and phase(other, now) == "in_queue"
        )
    body.update(result_url=links["result_url"], status_url=links["status_url"])
    if state != "in_queue" and _start(req) <= finished_at(req):
        body["instance_id"] = req["instance_id"]
    return body


def safe_name(node_id: str) -> str:
    """A node id made safe for a file name (``38:42`` -> ``38_42``)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", node_id)


def outputs(req: dict[str, Any], base: str) -> dict[str, Any]:
    """The outputs a succeeded run produced, keyed by output node id, with hosted URLs.

    Channels and files as ComfyUI 0.3.64 reports them (:mod:`reconciler.workflow.outputs`): stills one
    PNG per batch item under ``images``; animated savers one file under ``images`` with
    ``animated: [true]``; VHS_VideoCombine one file under ``gifs``; audio savers under ``audio``.
    """
    graph = req["graph"]
    result: dict[str, Any] = {}
    for node_id, _kind in workflows.output_nodes(graph):
        saver = output_saver(graph, node_id)
        inputs = graph[node_id].get("inputs", {})
        if saver.channel == "text":
            value = inputs.get("text")
            result[node_id] = {"text": [value if isinstance(value, str) else f"emulated text from node {node_id}"]}
            continue
        extension, extra = saver.extension, {}
        if graph[node_id].get("class_type") == "VHS_VideoCombine":
            fmt, extension = wf_outputs.vhs_format(inputs)
            extra = {"format": fmt, "frame_rate": inputs.get("frame_rate", 8)}
        count = workflows.batch_size(graph) if saver.per_item else 1
        files = []
        for index in range(count):
            filename = f"ComfyUI_{safe_name(node_id)}_{index + 1:05d}_.{extension}"
            files.append({"url": f"{base}/_emulator/outputs/{req['id']}/{filename}", "filename": filename,
                          "subfolder": "", "type": saver.folder, **extra})
        node: dict[str, Any] = {saver.channel: files}
        if saver.animated:
            node["animated"] = [True]
        result[node_id] = node
    return result


def output_saver(graph: dict[str, Any], node_id: str) -> wf_outputs.Saver:
    """The saver an output node of ``graph`` is (a node the emulator lists among its outputs)."""
    found = wf_outputs.saver(str(graph[node_id].get("class_type", "")))
    assert found is not None
    return found


def output_file(req: dict[str, Any], filename: str) -> tuple[str, int, str, bool] | None:
    """Which output ``filename`` is: (node id, batch index, extension, holds every frame), or None."""
    for node_id, channels in outputs(req, "").items():
        saver = output_saver(req["graph"], node_id)
        for channel, items in channels.items():
            if channel == "text" or channel == "animated":
                continue
            for index, item in enumerate(items):
                if isinstance(item, dict) and item.get("filename") == filename:
                    return node_id, index, filename.rsplit(".", 1)[-1], not saver.per_item
    return None


def output_files(req: dict[str, Any]) -> list[str]:
    """File names of the request's hosted outputs (empty unless it succeeded and was not deleted)."""
    if req.get("deleted") or outcome(req) != "succeeded":
        return []
    return [
        item["filename"]
        for node in outputs(req, "").values()
        for key, items in node.items()
        if key not in ("text", "animated")
        for item in items
        if isinstance(item, dict)
    ]


def result_body(req: dict[str, Any], now: float, base: str) -> dict[str, Any]:
    """The result endpoint's answer at time ``now``."""
    state = phase(req, now)
    body: dict[str, Any] = {"request_id": req["id"], "created_at": iso(req["created"])}
    if state not in TERMINAL:
        body["status"] = state
        if state == "in_progress":
            body["instance_id"] = req["instance_id"]
        return body
    body.update(status=outcome(req), finished_at=iso(finished_at(req)))
    if _start(req) <= finished_at(req):
        body["instance_id"] = req["instance_id"]
    if body["status"] == "succeeded":
        body["outputs"] = {} if req.get("deleted") else outputs(req, base)
    elif body["status"] == "failed":
        body["error"] = req.get("error") or {
            "type": "execution_error",
            "message": "Emulated failure (fail_next_runs)",
        }
    return body


def cancel(req: dict[str, Any], now: float) -> str:
    """Cancel a queued or running request; returns the outcome (``cancelled``/``not_cancellable``)."""
    if phase(req, now) in TERMINAL:
        return "not_cancellable"
    req["cancelled_at"] = now
    return "cancelled"


def delete(req: dict[str, Any], now: float) -> int:
    """Purge a terminal request's inputs and outputs; returns objects removed; raises 409 while running."""
    if phase(req, now) not in TERMINAL:
        raise ApiError(409001, "Request is still running; cancel it first, then delete")
    if req.get("deleted"):
        return 0
    removed = int(req.get("media_inputs", 0)) + len(output_files(req))
    req["deleted"] = True
    return removed


def abort_running(data: dict[str, Any], deployment_id: str, now: float, kind: str, message: str) -> None:
    """Fail every queued or running request of a deployment now (disable/delete)."""
    for req in data["requests"].values():
        if req["deployment_id"] == deployment_id and phase(req, now) not in TERMINAL:
            req["aborted_at"] = now
            req["error"] = {"type": kind, "message": message}


def instance_live(data: dict[str, Any], deployment: dict[str, Any], instance_id: str, now: float) -> bool:
    """Whether ``instance_id`` is running for the deployment: serving a request or still kept warm."""
    for req in data["requests"].values():
        if req["deployment_id"] != deployment["id"] or req["instance_id"] != instance_id:
            continue
        end = finished_at(req)
        if _start(req) <= now and _start(req) <= end and now <= end + deployment["keep_warm_duration_in_seconds"]:
            return True
    return False
