"""Live-state snapshots: what plan reads from the API, written by a trusted job, read by a job with no token.

Pure: text and values in, text and values out; no clock (callers pass ``now``), no file, no network.
A snapshot is the API's answer to ``GET /prod/v2/deployments?includes=payload`` (every deployment,
with the workflow graphs and saved versions plan and its smoke checks read), with every secret the
manifests know (interpolated values, sensitive fields) replaced by ``(sensitive value)`` and the
``object_info`` URLs (which may be signed) dropped, plus where and when it was read and a
``checksum`` of the whole. Each deployment also carries the fingerprint of its *unscrubbed* managed
fields, so a plan made from a snapshot records exactly what apply later compares with live state.

The checksum detects a file edited or damaged after it was written; it is not a signature (anyone
who can run code can write a file with a valid checksum). Where a snapshot may be trusted from is
the workflow's business: the pull-request plan downloads it from the default branch's runs, and a
plan made from it is only ever shown, never applied (see the README's threat model).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from reconciler import __version__
from reconciler.engine import live
from reconciler.secrets import SENSITIVE, longest_first, mask

KIND: Final[str] = "comfyops-live-snapshot"
FORMAT_VERSION: Final[int] = 1
SCRUBBED: Final[str] = SENSITIVE
_DROPPED_KEYS: Final[frozenset[str]] = frozenset({"object_info_url"})


class SnapshotError(ValueError):
    """A snapshot that cannot be used: not one, damaged, edited, from another format, or too old."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class Snapshot:
    """A checked snapshot: where and when it was read, and the deployments as plan sees them."""

    endpoint: str
    """``RunComfy API at <url>`` (or ``emulator (state: <dir>)``): what plan says it was made against."""
    api_url: str
    taken_at: datetime
    environment: str | None
    deployments: tuple[live.LiveDeployment, ...]
    checksum: str

    def age_seconds(self, now: datetime) -> int:
        """How old the snapshot is at ``now`` (never negative: a clock a little behind reads as 0)."""
        return max(0, int((now - self.taken_at).total_seconds()))


def scrub(value: Any, values: Iterable[str]) -> Any:
    """``value`` (JSON data) with every secret in ``values`` masked in every string, and signed-URL keys
    dropped."""
    ordered = longest_first(values)

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return mask(item, ordered)
        if isinstance(item, Mapping):
            return {walk(str(k)): walk(v) for k, v in item.items() if k not in _DROPPED_KEYS}
        if isinstance(item, list | tuple):
            return [walk(v) for v in item]
        return item

    return walk(value)


def encode(
    deployments: Iterable[Mapping[str, Any]],
    *,
    endpoint: str,
    api_url: str,
    taken_at: datetime,
    environment: str | None,
    secrets: Iterable[str],
) -> str:
    """The snapshot file's text for the API's deployment objects (as JSON), secrets scrubbed, checksummed."""
    secrets = tuple(secrets)
    records = []
    for obj in deployments:
        parsed = live.from_api(obj)
        records.append({"fingerprint": parsed.fingerprint, "deployment": scrub(dict(obj), secrets)})
    records.sort(key=lambda r: (str(r["deployment"].get("name", "")), str(r["deployment"].get("id", ""))))
    document: dict[str, Any] = {
        "kind": KIND,
        "format_version": FORMAT_VERSION,
        "comfyops_version": __version__,
        "endpoint": scrub(endpoint, secrets),
        "api_url": scrub(api_url, secrets),
        "taken_at": taken_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "environment": environment,
        "deployments": records,
    }
    document["checksum"] = _checksum(document)
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def decode(text: str) -> Snapshot:
    """A checked snapshot from its file's text; :class:`SnapshotError` when it is not one or was edited."""
    remake = "write a new one with `comfyops snapshot --out FILE` in a job that holds the token"
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotError(
            f"not a comfyops live snapshot (not JSON: {exc.msg} at line {exc.lineno})", remake
        ) from None
    if not isinstance(document, dict) or document.get("kind") != KIND:
        raise SnapshotError('not a comfyops live snapshot (no "kind": "comfyops-live-snapshot")', remake)
    if document.get("format_version") != FORMAT_VERSION:
        raise SnapshotError(
            f"snapshot format version {document.get('format_version')!r} is not supported "
            f"(this comfyops {__version__} reads version {FORMAT_VERSION})",
            remake,
        )
    if "checksum" not in document:
        raise SnapshotError("the snapshot has no checksum, so it cannot be trusted", remake)
    body = {k: v for k, v in document.items() if k != "checksum"}
    if document["checksum"] != _checksum(body):
        raise SnapshotError("the snapshot was modified after it was written (its checksum does not match)", remake)
    try:
        taken_at = datetime.fromisoformat(str(document["taken_at"]).replace("Z", "+00:00"))
        if taken_at.tzinfo is None:
            raise ValueError("no time zone")
        deployments = tuple(_deployment(r) for r in document["deployments"])
        environment = document.get("environment")
        return Snapshot(
            endpoint=str(document["endpoint"]),
            api_url=str(document["api_url"]),
            taken_at=taken_at.astimezone(UTC),
            environment=None if environment is None else str(environment),
            deployments=tuple(sorted(deployments, key=lambda d: (d.name, d.id))),
            checksum=str(document["checksum"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SnapshotError(f"the snapshot is damaged ({type(exc).__name__}: {exc})", remake) from None


def _deployment(record: Mapping[str, Any]) -> live.LiveDeployment:
    parsed = live.from_api(record["deployment"])
    fingerprint = str(record["fingerprint"])
    if not fingerprint.startswith("sha256:"):
        raise ValueError(f"deployment {parsed.name!r} has no fingerprint")
    return live.LiveDeployment(
        id=parsed.id,
        name=parsed.name,
        fields=parsed.fields,
        workflow_api_json=parsed.workflow_api_json,
        object_info_url=None,
        known_versions=parsed.known_versions,
        fingerprint=fingerprint,
        status=parsed.status,
        updated_at=parsed.updated_at,
        created_at=parsed.created_at,
    )


def _checksum(document: Mapping[str, Any]) -> str:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def format_age(seconds: int) -> str:
    """``45s``, ``12m``, ``3h 12m``, ``2d 4h``: how old, for people."""
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(seconds // 3600, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"
