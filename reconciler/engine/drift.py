"""The DriftReport: what differs between git and live RunComfy, read off a Plan.

Pure. ``build_drift`` takes the Plan that ``engine.planner.build_plan`` made (so matching,
normalisation, ``ignore_changes`` and the diff are plan's own, not a second copy) and the live
deployments it was made from, and says per deployment what drifted:

- ``drifted``: live settings differ from the manifest (each field with its desired and live value,
  and the live ``updated_at``); a live deployment whose manifest says ``state: absent`` drifts on the
  pseudo-field ``state``;
- ``missing``: declared, not live;
- ``unmanaged``: live, declared by no manifest, inside a prune pattern: the next apply deletes (or
  pauses) it;
- ``error``: in sync, but the API reports an error ``status`` (any drifted deployment in an error
  state says so too, with ``status_is_error``).

The JSON form (``format_version``) is a stable contract for scripts; see ``to_dict``.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from reconciler import __version__, companions
from reconciler.engine import planner
from reconciler.engine.live import LiveDeployment, is_error_status
from reconciler.engine.natural import natural_key
from reconciler.engine.plan import Action, Plan, ResourceChange

FORMAT_VERSION = 1


class DriftKind(StrEnum):
    """Why a deployment is in the report; the value is the JSON spelling."""

    DRIFTED = "drifted"
    MISSING = "missing"
    UNMANAGED = "unmanaged"
    ERROR = "error"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class DriftedField(_Frozen):
    """One field whose live value is not the manifest's; both are null when the field is sensitive."""

    field: str
    desired: Any = None
    live: Any = None
    sensitive: bool = False


class DeploymentDrift(_Frozen):
    """One deployment that is not as git says."""

    name: str
    id: str | None = None
    kind: DriftKind
    fields: list[DriftedField] = Field(default_factory=list)
    since: str | None = Field(default=None, description="The live updated_at: when RunComfy last changed it.")
    status: str | None = Field(default=None, description="The API's status of the live deployment.")
    status_is_error: bool = False
    source: str | None = Field(default=None, description="The manifest file:line that declares it.")
    reason: str = ""
    fix: str = Field(default="", description="The command that makes live match git again (empty: none).")
    hint: str = Field(default="", description="The other way out, e.g. change git to match live.")


class DriftSummary(_Frozen):
    """Counts per kind, plus the deployments that match."""

    drifted: int = 0
    missing: int = 0
    unmanaged: int = 0
    error: int = 0
    in_sync: int = 0


class DriftReport(_Frozen):
    """Every deployment that drifted, when it was checked, and (with ``--smoke``) the smoke results."""

    format_version: int = FORMAT_VERSION
    comfyops_version: str = ""
    checked_at: str = Field(description="When live state was read (ISO 8601, UTC).")
    environment: str | None = Field(default=None, description="The Environment checked (--env), if any.")
    deployments: list[DeploymentDrift] = Field(default_factory=list)
    in_sync: list[str] = Field(default_factory=list, description="Names of the deployments that match git.")
    targets: list[str] = Field(default_factory=list)
    smoke: dict[str, Any] | None = Field(default=None, description="The smoke report (--smoke), non-blocking.")

    @property
    def summary(self) -> DriftSummary:
        """Counts per kind (a drifted deployment in an error state counts once, as drifted)."""
        counts = {k.value: sum(1 for d in self.deployments if d.kind is k) for k in DriftKind}
        return DriftSummary(**counts, in_sync=len(self.in_sync))

    @property
    def has_drift(self) -> bool:
        """Whether anything is not as git says (exit code 2)."""
        return bool(self.deployments)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract: the report, ``summary``, and ``fields``, one row per drifted field
        (``deployment``, ``id``, ``field``, ``desired``, ``live``, ``since``) for scripts."""
        data = self.model_dump(mode="json")
        data["summary"] = self.summary.model_dump()
        data["drift"] = self.has_drift
        data["fields"] = [
            {"deployment": d.name, "id": d.id, "field": f.field, "desired": f.desired, "live": f.live,
             "since": d.since, "sensitive": f.sensitive}
            for d in self.deployments
            for f in d.fields
        ]
        return data

    def to_json(self) -> str:
        """The stable JSON form (sorted keys)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"


def build_drift(
    plan: Plan,
    live: Sequence[LiveDeployment],
    *,
    checked_at: str,
    apply_command: str = "comfyops apply",
    import_command: str = "comfyops import",
    smoke: dict[str, Any] | None = None,
) -> DriftReport:
    """The drift between git and live that ``plan`` (built from ``live``) shows.

    ``apply_command`` is the command line a fix starts with (the CLI adds ``-f`` paths and global
    options); ``--target NAME`` is appended per deployment. ``import_command`` likewise starts the hint
    that keeps an unmanaged deployment (``--id ID`` is appended).
    """
    by_id = {d.id: d for d in live}
    found: list[DeploymentDrift] = []
    in_sync: list[str] = []
    for change in plan.changes:
        if companions.companion_of(change.name) is not None:
            continue  # a keeper or leftover candidate the plan adds follows from another change: not drift of its own
        have = by_id.get(change.id) if change.id else None
        entry = _entry(change, have, apply_command, import_command)
        if entry is None:
            in_sync.append(change.name)
        else:
            found.append(entry)
    return DriftReport(
        comfyops_version=__version__,
        checked_at=checked_at,
        environment=plan.environment,
        deployments=found,
        in_sync=sorted(in_sync, key=natural_key),
        targets=list(plan.targets),
        smoke=smoke,
    )


def _entry(change: ResourceChange, have: LiveDeployment | None, apply_command: str,
           import_command: str) -> DeploymentDrift | None:
    status = have.status if have is not None else None
    common: dict[str, Any] = dict(
        name=change.name,
        id=change.id,
        since=have.updated_at if have is not None else None,
        status=status,
        status_is_error=is_error_status(status),
        source=change.source,
    )
    target = f"{apply_command} --target {shlex.quote(change.name)}"
    if planner.is_prune(change):
        if change.action is Action.NOOP:
            return None if not common["status_is_error"] else _error_entry(common)
        verb = "deletes" if change.action is Action.DELETE else "pauses"
        return DeploymentDrift(
            **common,
            kind=DriftKind.UNMANAGED,
            reason=f"{change.reason}; the next apply {verb} it",
            fix=target,
            hint=f"or keep it: declare it in a manifest ({import_command} --id {shlex.quote(change.id or '')}), "
            "or narrow prune.match",
        )
    if change.action is Action.CREATE:
        return DeploymentDrift(
            **common, kind=DriftKind.MISSING, reason="declared, but not live in RunComfy: apply creates it",
            fix=target, hint="or remove its manifest",
        )
    if planner.is_absent_delete(change):
        return DeploymentDrift(
            **common,
            kind=DriftKind.DRIFTED,
            fields=[DriftedField(field="state", desired="absent", live="present")],
            reason="the manifest says state: absent, but it is live: apply deletes it",
            fix=target,
            hint="or keep it: set state: present in the manifest",
        )
    if change.action in (Action.UPDATE, Action.REPLACE):
        fields = [
            DriftedField(field=fc.field, desired=None if fc.sensitive else fc.after,
                         live=None if fc.sensitive else fc.before, sensitive=fc.sensitive)
            for fc in change.diff
        ]
        replace = change.action is Action.REPLACE
        return DeploymentDrift(
            **common,
            kind=DriftKind.DRIFTED,
            fields=fields,
            reason="live settings differ from the manifest",
            fix=f"{apply_command}{' --allow-replace' if replace else ''} --target {shlex.quote(change.name)}",
            hint="or adopt it into git: set the manifest to the live value",
        )
    if common["status_is_error"]:
        return _error_entry(common)
    return None


def _error_entry(common: dict[str, Any]) -> DeploymentDrift:
    return DeploymentDrift(
        **common,
        kind=DriftKind.ERROR,
        reason=f"RunComfy reports status {common['status']!r}",
        hint="check the deployment in the RunComfy dashboard; apply does not repair a failing deployment",
    )
