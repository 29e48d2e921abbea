"""Pydantic models of the RunComfy API's JSON bodies, tolerant of every documented variant.

Pure. Response models accept unknown fields (``extra="allow"``: the API grows) and normalise the
variations REFERENCE.md records: ``hardware`` as a string or a one-element list, the list endpoint as
a bare array or ``{"deployments": [...]}``, ``canceled``/``cancelled``, a run's ``error`` as an object
or an array, and both cancel response shapes. Request bodies (``DeploymentCreate``, :func:`patch_body`)
are strict, so a typo or an unpatchable field fails here instead of at the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reconciler import catalog
from reconciler.runcomfy import bounds, errors

TERMINAL_REQUEST_STATUSES: Final[frozenset[str]] = frozenset({"completed", "cancelled"})
"""Queue statuses after which a request's status no longer changes (``completed`` is not success)."""
FINAL_RESULT_STATUSES: Final[frozenset[str]] = frozenset({"succeeded", "failed", "cancelled"})
"""The result statuses REFERENCE.md documents, all of a finished request. What the result endpoint answers
for an unfinished one is not documented: anything else is read as "not finished yet"."""


class _Wire(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)


def _hardware_list(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return value


def _cancelled(value: Any) -> Any:
    if isinstance(value, str):
        lowered = value.strip().lower()
        return "cancelled" if lowered == "canceled" else lowered
    return value


class DeploymentPayload(_Wire):
    """The workflow a deployment runs: returned only with ``includes=payload``."""

    workflow_api_json: dict[str, Any] | None = None
    overrides: dict[str, Any] | None = None
    object_info_url: str | None = None
    workflow_versions: list[str] | None = None


class Deployment(_Wire):
    """A deployment record as the API returns it; ``hardware`` is always a list of SKUs."""

    id: str
    name: str
    workflow_id: str | None = None
    workflow_version: str | None = None
    hardware: list[str] = Field(default_factory=list)
    min_instances: int | None = None
    max_instances: int | None = None
    queue_size: int | None = None
    keep_warm_duration_in_seconds: int | None = None
    is_enabled: bool | None = None
    status: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    payload: DeploymentPayload | None = None
    readme: str | None = None

    _normalise_hardware = field_validator("hardware", mode="before")(_hardware_list)


class DeploymentCreate(BaseModel):
    """The body of ``POST /prod/v2/deployments``; defaults are the source documents'."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    name: str = Field(min_length=1)
    workflow_id: str = Field(min_length=1)
    workflow_version: str = Field(min_length=1)
    hardware: list[str] = Field(
        default_factory=lambda: [catalog.DEFAULT_HARDWARE], min_length=1, max_length=1
    )
    min_instances: int = catalog.DEFAULT_MIN_INSTANCES
    max_instances: int = catalog.DEFAULT_MAX_INSTANCES
    queue_size: int = catalog.DEFAULT_QUEUE_SIZE
    keep_warm_duration_in_seconds: int = catalog.DEFAULT_KEEP_WARM_SECONDS

    _normalise_hardware = field_validator("hardware", mode="before")(_hardware_list)

    def matches(self, deployment: Deployment) -> bool:
        """Whether ``deployment`` is exactly what this create asks for (used to adopt an ambiguous create)."""
        return all(getattr(deployment, key) == value for key, value in self.model_dump().items())


class SubmitResponse(_Wire):
    """The answer to an inference submit: the request id and where to poll."""

    request_id: str
    status_url: str | None = None
    result_url: str | None = None
    cancel_url: str | None = None


class RequestStatus(_Wire):
    """A queued request's progress; ``status`` is lower-case with ``canceled`` spelled ``cancelled``."""

    request_id: str | None = None
    status: str
    queue_position: int | None = None
    instance_id: str | None = None
    result_url: str | None = None
    status_url: str | None = None

    _normalise_status = field_validator("status", mode="before")(_cancelled)

    @property
    def is_terminal(self) -> bool:
        """Whether the request has stopped (``completed`` or ``cancelled``); read the result for success."""
        return self.status in TERMINAL_REQUEST_STATUSES


class RunError(_Wire):
    """One reason a run failed, from either documented error shape."""

    type: str | None = None
    message: str = ""
    debug_info: Any = None


def _run_errors(value: Any) -> Any:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out: list[Any] = []
    for item in items:
        if isinstance(item, dict) and ("errorCode" in item or "debugInfo" in item or "error" in item):
            code = item.get("errorCode")
            out.append({
                "type": None if code is None else str(code),
                "message": str(item.get("error") or item.get("message") or ""),
                "debug_info": item.get("debugInfo"),
            })
        elif isinstance(item, dict):
            out.append({**item, "message": str(item.get("message") or "")})
        else:
            out.append({"message": str(item)})
    return out


def _outputs(value: Any) -> Any:
    if value is None:
        return {}
    if isinstance(value, dict):
        return {
            node: {ch: items if isinstance(items, list) else [items] for ch, items in channels.items()}
            if isinstance(channels, dict) else channels
            for node, channels in value.items()
        }
    return value


class RequestResult(_Wire):
    """A request's outcome: ``succeeded``, ``failed`` or ``cancelled``, its outputs and its errors.

    ``outputs`` maps node id (``"9"``, or ``"38:42"`` inside subgraphs) to channel (``images``,
    ``gifs``, ``videos``, ``text``, ...) to items: dicts with ``url``/``filename``, or strings for text;
    ComfyUI's animated savers add ``animated: [true]`` beside ``images``.
    """

    request_id: str | None = None
    status: str
    outputs: dict[str, dict[str, list[dict[str, Any] | str | bool]]] = Field(default_factory=dict)
    created_at: str | None = None
    finished_at: str | None = None
    instance_id: str | None = None
    error: list[RunError] = Field(default_factory=list)

    _normalise_status = field_validator("status", mode="before")(_cancelled)
    _normalise_outputs = field_validator("outputs", mode="before")(_outputs)
    _normalise_error = field_validator("error", mode="before")(_run_errors)

    @property
    def succeeded(self) -> bool:
        """Whether the run succeeded."""
        return self.status == "succeeded"

    @property
    def is_final(self) -> bool:
        """Whether this is a finished request's result (a documented final status), not an early answer."""
        return self.status in FINAL_RESULT_STATUSES


class CancelResponse(_Wire):
    """A cancel's answer; ``outcome`` is ``cancelled``, ``not_cancellable``, ``requested`` or ``unknown``.

    Both documented shapes are accepted: ``{"status": "completed", "outcome": ...}`` and
    ``{"status": "cancellation_requested"}`` (which becomes outcome ``requested``).
    """

    request_id: str | None = None
    status: str | None = None
    outcome: str = "unknown"

    @model_validator(mode="before")
    @classmethod
    def _normalise_outcome(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        outcome = _cancelled(data.get("outcome"))
        status = _cancelled(data.get("status"))
        if not isinstance(outcome, str) or not outcome:
            if status == "cancellation_requested":
                outcome = "requested"
            elif status == "cancelled":
                outcome = "cancelled"
            else:
                outcome = "unknown"
        return {**data, "outcome": outcome}


class DeleteRequestResponse(_Wire):
    """The answer to purging a request's inputs and outputs; a repeat reports ``deleted_objects: 0``."""

    request_id: str | None = None
    status: str | None = None
    deleted_objects: int = 0


@dataclass(frozen=True)
class ProxyAnswer:
    """What a ComfyUI backend route answered through the instance proxy (often 200 with no body)."""

    status_code: int
    content: bytes = b""
    content_type: str = ""

    @property
    def is_json(self) -> bool:
        """Whether the body is JSON (by its content type)."""
        return "json" in self.content_type.lower()

    @property
    def text(self) -> str:
        """The body as text (UTF-8, undecodable bytes replaced)."""
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON (raises ``ValueError`` when it is not JSON, or nests past the limit)."""
        return bounds.loads(self.content)


def free_body(*, unload_models: bool, free_memory: bool) -> dict[str, bool]:
    """The body of ComfyUI's ``api/free``: only the flags that are set (an empty body frees nothing)."""
    return {key: True for key, on in (("unload_models", unload_models), ("free_memory", free_memory)) if on}


def parse_deployment_list(data: Any) -> list[Deployment]:
    """Deployments from a list response: a bare array or ``{"deployments": [...]}``."""
    if isinstance(data, dict) and isinstance(data.get("deployments"), list):
        data = data["deployments"]
    if not isinstance(data, list):
        raise ValueError(f"expected a JSON array of deployments, got {type(data).__name__}")
    return [Deployment.model_validate(item) for item in data]


def patch_body(deployment_id: str, *, name: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The PATCH body: ``name`` always (the API rejects a PATCH without it), then only ``changes``.

    ``hardware`` goes as a one-element list. Fields the API cannot patch (``workflow_id``: a new
    workflow means a new deployment) raise :class:`errors.UnpatchableFieldError` before anything is sent.
    """
    rejected = sorted(set(changes) - catalog.PATCHABLE_FIELDS)
    where = f"PATCH /prod/v2/deployments/{deployment_id}"
    if set(rejected) & catalog.CREATE_ONLY_FIELDS:
        raise errors.UnpatchableFieldError(
            f"{where}: {', '.join(rejected)} cannot be changed in place",
            "A new workflow means a new deployment: create a new one and delete the old one.",
        )
    if rejected:
        raise errors.UnpatchableFieldError(
            f"{where}: not patchable: {', '.join(rejected)}",
            f"Patchable fields: {', '.join(sorted(catalog.PATCHABLE_FIELDS))}.",
        )
    body: dict[str, Any] = {"name": name, **changes}
    if "hardware" in body:
        body["hardware"] = list(_hardware_list(body["hardware"]))
    return body
