"""Live state: deployments as RunComfy reports them, normalised to the same shape as desired state.

Pure. The API returns hardware as a list (or a string), may omit fields it defaulted, and adds
server-owned fields (status, timestamps, payload). ``LiveDeployment`` keeps the id, the name, the
managed fields with API defaults filled in (the *essence*, kopf-style), the workflow graph when the
payload was read, a fingerprint of the essence for stale-plan checks, and the API's ``status`` and
``updated_at`` for drift and status reports (shown, never fingerprinted or diffed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler import catalog, jsontext
from reconciler.engine.natural import natural_key

API_DEFAULTS = catalog.API_DEFAULTS


@dataclass(frozen=True)
class LiveDeployment:
    """One live deployment's identity and essence."""

    id: str
    name: str
    fields: Mapping[str, Any]
    workflow_api_json: Mapping[str, Any] | None = None
    object_info_url: str | None = None
    known_versions: tuple[str, ...] | None = None
    fingerprint: str = field(default="")
    status: str | None = None
    """The API's informational ``status`` (``standby`` is the only documented value)."""
    updated_at: str | None = None
    """When RunComfy last changed it (ISO 8601), as the API reports it."""
    created_at: str | None = field(default=None, compare=False)
    """When it was created (ISO 8601): duplicate names are listed oldest first."""


def normalize_hardware(value: Any) -> Any:
    """The one SKU of a hardware value that may arrive as a list or a string."""
    if isinstance(value, list | tuple):
        return value[0] if len(value) == 1 else list(value)
    return value


def essence(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The managed fields of an API deployment object, normalised, defaults filled in."""
    result: dict[str, Any] = {}
    for name in catalog.MANAGED_FIELDS:
        value = obj.get(name)
        if value is None or value == []:  # the wire model turns an omitted hardware into []
            value = API_DEFAULTS.get(name)
        result[name] = normalize_hardware(value) if name == "hardware" else value
    return result


def fingerprint_of(deployment_id: str, name: str, fields: Mapping[str, Any]) -> str:
    """A short digest of a deployment's identity and essence."""
    text = jsontext.dumps_compact({"id": deployment_id, "name": name, **fields})
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def from_api(obj: Mapping[str, Any]) -> LiveDeployment:
    """A LiveDeployment from one API deployment object (as JSON)."""
    fields = essence(obj)
    payload = obj.get("payload") or {}
    if not isinstance(payload, Mapping):
        payload = {}
    versions = payload.get("workflow_versions")
    deployment_id, name = str(obj["id"]), str(obj.get("name", ""))
    return LiveDeployment(
        id=deployment_id,
        name=name,
        fields=fields,
        workflow_api_json=payload.get("workflow_api_json"),
        object_info_url=payload.get("object_info_url"),
        known_versions=tuple(str(v) for v in versions) if isinstance(versions, list) else None,
        fingerprint=fingerprint_of(deployment_id, name, fields),
        status=_text(obj.get("status")),
        updated_at=_text(obj.get("updated_at")),
        created_at=_text(obj.get("created_at")),
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def from_api_list(objects: Iterable[Mapping[str, Any]]) -> list[LiveDeployment]:
    """LiveDeployments from a list response, sorted by name then id."""
    return sorted((from_api(o) for o in objects), key=lambda d: (natural_key(d.name), d.id))


ERROR_STATUS_WORDS: tuple[str, ...] = ("error", "fail", "unhealthy", "crash")
"""Words that make a live ``status`` an error state. The API documents only ``standby``; these cover the
states a serving platform reports when a deployment cannot serve (``error``, ``failed``, ``stop_failed``,
``unhealthy``, ``crashed``)."""


def is_error_status(status: str | None) -> bool:
    """Whether the API's ``status`` says the deployment is in an error state."""
    lowered = (status or "").lower()
    return any(word in lowered for word in ERROR_STATUS_WORDS)
