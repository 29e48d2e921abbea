"""Deployment records: validation of create and PATCH bodies, and the JSON the API returns.

Pure functions over the state's data dict. Facts (SKUs, ranges, defaults, codes) come from
:mod:`reconciler.catalog`. Stricter readings where the docs are silent:

- ``hardware`` is accepted as a string or a one-element list and stored as a one-element list;
  an empty or longer list, or an unknown SKU, is 422001.
- Integers must be JSON integers (``true`` or ``1.5`` are rejected); unknown body keys are ignored.
- PATCH must carry ``name`` ("Deployment name is required"); any ``workflow_id`` in a PATCH is
  rejected, even the current value; ranges are checked on the merged result.
- ``workflow_id``/``workflow_version`` must name a workflow registered with the emulator.
- Duplicate names are allowed, as by the real API.
- ``includes=payload`` also lists the workflow's saved versions (``payload.workflow_versions``), so a
  plan can warn before apply about a version that is not saved.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from reconciler import catalog
from reconciler.catalog import ERROR_DEPLOYMENT_DELETED, ERROR_NOT_FOUND, ERROR_VALIDATION
from reconciler.emulator.errors import ApiError

INT_RULES: dict[str, tuple[int, int | None]] = {
    "min_instances": catalog.MIN_INSTANCES_RANGE,
    "max_instances": catalog.MAX_INSTANCES_RANGE,
    "queue_size": (catalog.MIN_QUEUE_SIZE, None),
    "keep_warm_duration_in_seconds": (catalog.MIN_KEEP_WARM_SECONDS, None),
}
DEFAULTS: dict[str, Any] = {**catalog.API_DEFAULTS, "hardware": [catalog.DEFAULT_HARDWARE]}
PUBLIC_FIELDS = ("id", "name", *catalog.MANAGED_FIELDS, "status", "created_at", "updated_at")


def _problem(field: str, msg: str, kind: str = "value_error") -> dict[str, Any]:
    return {"loc": ["body", field], "msg": msg, "type": kind}


def _check_fields(body: dict[str, Any], problems: list[dict[str, Any]]) -> dict[str, Any]:
    """Type- and range-check the settings present in ``body``; returns them normalised."""
    clean: dict[str, Any] = {}
    if "name" in body:
        if not isinstance(body["name"], str) or not body["name"].strip():
            problems.append(_problem("name", "name must be a non-empty string"))
        else:
            clean["name"] = body["name"]
    if "hardware" in body:
        hardware = body["hardware"]
        values = hardware if isinstance(hardware, list) else [hardware]
        if len(values) != 1:
            problems.append(_problem("hardware", "exactly one hardware SKU is required"))
        elif values[0] not in catalog.HARDWARE_SKUS:
            problems.append(
                _problem("hardware", f"unknown hardware {values[0]!r}; one of: " + ", ".join(catalog.HARDWARE_SKUS))
            )
        else:
            clean["hardware"] = [values[0]]
    for field, (low, high) in INT_RULES.items():
        if field not in body:
            continue
        value = body[field]
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(_problem(field, f"{field} must be an integer", "type_error"))
        elif value < low or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f">= {low}"
            problems.append(_problem(field, f"{field} must be {bounds}, got {value}"))
        else:
            clean[field] = value
    if "is_enabled" in body:
        if not isinstance(body["is_enabled"], bool):
            problems.append(_problem("is_enabled", "is_enabled must be a boolean", "type_error"))
        else:
            clean["is_enabled"] = body["is_enabled"]
    return clean


def _check_min_max(record: dict[str, Any], problems: list[dict[str, Any]]) -> None:
    if record["max_instances"] < record["min_instances"]:
        problems.append(
            _problem(
                "max_instances",
                f"max_instances ({record['max_instances']}) must be >= min_instances ({record['min_instances']})",
            )
        )


def _check_workflow(data: dict[str, Any], workflow_id: str, version: str, problems: list[dict[str, Any]]) -> None:
    versions = data["workflows"].get(workflow_id)
    if versions is None:
        problems.append(_problem("workflow_id", f"workflow {workflow_id!r} not found in this account", "not_found"))
    elif version not in versions:
        problems.append(
            _problem(
                "workflow_version",
                f"workflow {workflow_id!r} has no version {version!r} (saved: {', '.join(sorted(versions)) or 'none'})",
                "not_found",
            )
        )


def _body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(ERROR_VALIDATION, "Request body must be a JSON object")
    return body


def create_record(data: dict[str, Any], body: Any, now: str) -> dict[str, Any]:
    """Validate a create body and return the new record (not yet stored); raises :class:`ApiError`."""
    body = _body(body)
    problems: list[dict[str, Any]] = []
    for field in ("name", "workflow_id", "workflow_version"):
        if field not in body or body[field] in (None, ""):
            problems.append(_problem(field, f"{field} is required", "missing"))
        elif not isinstance(body[field], str):
            problems.append(_problem(field, f"{field} must be a string", "type_error"))
    clean = _check_fields(body, problems)
    if problems:
        raise ApiError(ERROR_VALIDATION, "Validation error", problems)
    record = {**copy.deepcopy(DEFAULTS), **clean}
    _check_min_max(record, problems)
    _check_workflow(data, body["workflow_id"], body["workflow_version"], problems)
    if problems:
        raise ApiError(ERROR_VALIDATION, "Validation error", problems)
    record.update(
        id=str(uuid.uuid4()),
        workflow_id=body["workflow_id"],
        workflow_version=body["workflow_version"],
        status="standby",
        created_at=now,
        updated_at=now,
        deleted=False,
    )
    return record


def patch_changes(data: dict[str, Any], record: dict[str, Any], body: Any) -> dict[str, Any]:
    """Validate a PATCH body against ``record``; returns the changes to apply; raises :class:`ApiError`."""
    body = _body(body)
    if "name" not in body:
        raise ApiError(
            ERROR_VALIDATION,
            "Deployment name is required",
            [_problem("name", "Deployment name is required", "missing")],
        )
    problems: list[dict[str, Any]] = []
    if "workflow_id" in body:
        problems.append(_problem("workflow_id", "workflow_id cannot be changed; create a new deployment"))
    clean = _check_fields(body, problems)
    if "workflow_version" in body:
        if not isinstance(body["workflow_version"], str) or not body["workflow_version"]:
            problems.append(_problem("workflow_version", "workflow_version must be a non-empty string"))
        else:
            _check_workflow(data, record["workflow_id"], body["workflow_version"], problems)
            clean["workflow_version"] = body["workflow_version"]
    if not problems:
        _check_min_max({**record, **clean}, problems)
    if problems:
        raise ApiError(ERROR_VALIDATION, "Validation error", problems)
    return clean


def live_record(data: dict[str, Any], deployment_id: str) -> dict[str, Any]:
    """The stored record of a deployment that exists and is not deleted; raises :class:`ApiError`."""
    record = data["deployments"].get(deployment_id)
    if record is None:
        raise ApiError(ERROR_NOT_FOUND, f"Deployment {deployment_id} not found")
    if record.get("deleted"):
        raise ApiError(ERROR_DEPLOYMENT_DELETED, f"Deployment {deployment_id} has been deleted")
    result: dict[str, Any] = record
    return result


def readme(record: dict[str, Any]) -> str:
    """The markdown README the emulator serves for a deployment."""
    return (
        f"# {record['name']}\n\nServerless API deployment of workflow `{record['workflow_id']}` "
        f"version `{record['workflow_version']}` on {record['hardware'][0]} (RunComfy emulator).\n"
    )


def view(data: dict[str, Any], record: dict[str, Any], includes: set[str], base_url: str) -> dict[str, Any]:
    """The deployment as the API returns it, with ``payload``/``readme`` only when included."""
    out = {field: copy.deepcopy(record[field]) for field in PUBLIC_FIELDS}
    if "payload" in includes:
        versions = data["workflows"].get(record["workflow_id"], {})
        graph = versions.get(record["workflow_version"])
        out["payload"] = {
            "workflow_api_json": copy.deepcopy(graph),
            "workflow_versions": sorted(versions),
            "overrides": {},
            "object_info_url": f"{base_url}/_emulator/object_info/{record['workflow_id']}/{record['workflow_version']}"
            if graph is not None
            else None,
        }
    if "readme" in includes:
        out["readme"] = readme(record)
    return out
