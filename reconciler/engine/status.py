"""The StatusReport: one row per deployment, live settings beside their sync state with git.

Pure. Read off the Plan that ``engine.planner.build_plan`` made and the live deployments it was made
from, so the sync state is exactly what plan would do:

=================  =======================================================================
``Synced``         live matches its manifest
``OutOfSync``      plan would update or replace it (with the drifted field names)
``Unmanaged``      live, no manifest declares it, outside every prune pattern: left alone
``Missing``        declared, not live: plan would create it
``PendingDelete``  ``state: absent`` but live, or undeclared inside a prune pattern
=================  =======================================================================

Cost is the live deployment's standing monthly cost of warm instances (nothing while paused).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from reconciler import companions
from reconciler.engine import planner
from reconciler.engine.live import LiveDeployment
from reconciler.engine.natural import natural_key
from reconciler.engine.plan import Action, Plan, ResourceChange

FORMAT_VERSION = 1


class SyncState(StrEnum):
    """A deployment's state against git (Argo CD's vocabulary, plus the two ComfyOps adds)."""

    SYNCED = "Synced"
    OUT_OF_SYNC = "OutOfSync"
    UNMANAGED = "Unmanaged"
    MISSING = "Missing"
    PENDING_DELETE = "PendingDelete"


class StatusRow(BaseModel):
    """One deployment in the table; live values (the manifest's for a Missing one)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    name: str
    id: str | None = None
    hardware: str | None = None
    min_instances: int | None = None
    max_instances: int | None = None
    is_enabled: bool | None = None
    status: str | None = Field(default=None, description="The API's status.")
    source: str | None = Field(default=None, description="The manifest file:line that declares it.")
    monthly_cost: float = Field(default=0.0, description="USD per month of warm instances (live).")
    sync: SyncState
    drifted_fields: list[str] = Field(default_factory=list)


class StatusReport(BaseModel):
    """The table and its totals."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    format_version: int = FORMAT_VERSION
    environment: str | None = Field(default=None, description="The Environment shown (--env), if any.")
    rows: list[StatusRow] = Field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Rows per sync state, every state present."""
        return {s.value: sum(1 for r in self.rows if r.sync is s) for s in SyncState}

    @property
    def monthly_cost(self) -> float:
        """Total standing monthly cost of the live deployments' warm instances."""
        return round(sum(r.monthly_cost for r in self.rows), 2)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: rows and ``totals`` (counts per state, monthly cost)."""
        data = self.model_dump(mode="json")
        data["totals"] = {"deployments": len(self.rows), "states": self.counts(), "monthly_cost": self.monthly_cost}
        return data

    def to_json(self) -> str:
        """The JSON form with sorted keys."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"


def build_status(plan: Plan, live: Sequence[LiveDeployment], prices: Mapping[str, float]) -> StatusReport:
    """The status table of ``live`` against the manifests ``plan`` was made from."""
    by_id = {d.id: d for d in live}
    rows: list[StatusRow] = []
    for change in plan.changes:
        if companions.companion_of(change.name) is not None:
            continue  # keepers and leftover candidates are ComfyOps's own, not rows of their own
        have = by_id.get(change.id) if change.id else None
        state = _state(change)
        if state is None:
            continue
        rows.append(_row(change.name, have, change.after if have is None else None, state, prices,
                         source=file_line(change.source) if not planner.is_prune(change) else None,
                         drifted=[fc.field for fc in change.diff] if state is SyncState.OUT_OF_SYNC else []))
    for unmanaged in plan.unmanaged:
        rows.append(_row(unmanaged.name, by_id.get(unmanaged.id), None, SyncState.UNMANAGED, prices))
    rows.sort(key=lambda r: (natural_key(r.name), r.id or ""))
    return StatusReport(environment=plan.environment, rows=rows)


def _state(change: ResourceChange) -> SyncState | None:
    if planner.is_prune(change) or planner.is_absent_delete(change):
        return SyncState.PENDING_DELETE
    if change.action is Action.CREATE:
        return SyncState.MISSING
    if change.action in (Action.UPDATE, Action.REPLACE):
        return SyncState.OUT_OF_SYNC
    if change.id is None:  # state: absent, and it does not exist: nothing to show
        return None
    return SyncState.SYNCED


def _row(name: str, have: LiveDeployment | None, declared: Mapping[str, Any] | None, state: SyncState,
         prices: Mapping[str, float], *, source: str | None = None, drifted: list[str] | None = None) -> StatusRow:
    fields: Mapping[str, Any] = have.fields if have is not None else (declared or {})
    return StatusRow(
        name=name,
        id=have.id if have is not None else None,
        hardware=_opt_str(fields.get("hardware")),
        min_instances=fields.get("min_instances"),
        max_instances=fields.get("max_instances"),
        is_enabled=fields.get("is_enabled"),
        status=have.status if have is not None else None,
        source=source,
        monthly_cost=planner.warm_cost(have.fields, prices) if have is not None else 0.0,
        sync=state,
        drifted_fields=drifted or [],
    )


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def file_line(source: str | None) -> str | None:
    """``deployments/a.yaml:3`` from a location ``deployments/a.yaml:3:1`` (the column dropped)."""
    if not source:
        return source
    path, _, rest = source.rpartition(":")
    if path and rest.isdigit() and path.rpartition(":")[2].isdigit():
        return path
    return source
