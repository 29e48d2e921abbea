"""The ReconcileReport: what one ``comfyops reconcile`` pass found, did, and left, as a plain value.

Pure. The drift part is the ``DriftReport`` (plan's own matching and diff); on top of it a pass says which mode
was configured, whether heal acted or why it only reported (paused, outside an apply window, denied by a
policy, nothing it may heal), what each heal did, and what is left. ``exit_code`` is the contract:
0 in sync or everything healed, 2 drift left unhealed, 1 a heal (or, with ``--smoke``, its smoke test) failed.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from reconciler.engine.drift import DriftReport

FORMAT_VERSION = 1


class PassResult(StrEnum):
    """How a pass ended (the ``result`` label of ``comfyops_reconcile_total``)."""

    IN_SYNC = "in_sync"
    HEALED = "healed"
    DRIFT = "drift"
    HEAL_FAILED = "heal_failed"
    SMOKE_FAILED = "smoke_failed"
    ERROR = "error"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HealOutcome(_Frozen):
    """One deployment heal acted on, or left."""

    name: str
    action: str
    result: str = Field(description="healed | failed | left")
    message: str = ""


class ReconcileReport(_Frozen):
    """One pass: the drift found, the mode, what heal did, and the notes a reader needs (pause, window, expiry)."""

    format_version: int = FORMAT_VERSION
    environment: str | None = None
    commit: str | None = None
    mode: str = Field(description="The configured drift.mode: report | heal.")
    acted: bool = Field(default=False, description="Whether heal applied anything.")
    heal_blocked: str = Field(default="", description="Why heal only reported (paused, outside windows, denied).")
    drift: DriftReport
    heals: list[HealOutcome] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="Expired ignore rules, pauses, windows, warnings.")
    readback_problems: list[str] = Field(default_factory=list)
    smoke: dict[str, Any] | None = Field(default=None, description="With --smoke: the smoke report of heal's changes.")
    smoke_failed: list[str] = Field(default_factory=list, description="Healed deployments whose smoke test failed.")

    @property
    def healed(self) -> list[str]:
        """Names of the deployments heal restored."""
        return [h.name for h in self.heals if h.result == "healed"]

    @property
    def failed(self) -> list[HealOutcome]:
        """The heals that failed."""
        return [h for h in self.heals if h.result == "failed"]

    @property
    def unhealed(self) -> list[str]:
        """Drifted deployments still not as git says after this pass."""
        healed = set(self.healed)
        return [d.name for d in self.drift.deployments if d.name not in healed]

    @property
    def result(self) -> PassResult:
        """The pass's result: failure first, then drift left, then healed, else in sync."""
        if self.failed or self.readback_problems:
            return PassResult.HEAL_FAILED
        if self.smoke_failed:
            return PassResult.SMOKE_FAILED
        if self.unhealed:
            return PassResult.DRIFT
        return PassResult.HEALED if self.healed else PassResult.IN_SYNC

    @property
    def exit_code(self) -> int:
        """0 in sync or healed, 2 drift left unhealed, 1 a heal (or the smoke test after it) failed."""
        return {PassResult.HEAL_FAILED: 1, PassResult.SMOKE_FAILED: 1, PassResult.DRIFT: 2}.get(self.result, 0)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract: this report, the drift report's own JSON under ``drift``, and the result."""
        data = self.model_dump(mode="json", exclude={"drift"})
        data["drift"] = self.drift.to_dict()
        data["result"] = self.result.value
        data["healed"] = self.healed
        data["unhealed"] = self.unhealed
        return data

    def to_json(self) -> str:
        """The stable JSON form (sorted keys)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"
