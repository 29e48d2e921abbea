"""The ApplyReport: what apply did to each change, as a plain value every renderer can show.

Pure. ``session.executor`` fills it in; ``reconciler.render`` turns it into text, JSON or Markdown.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from reconciler.engine.plan import Action

FORMAT_VERSION = 1
ROLLBACK_FAILED = "smoke test failed; rollback failed"
"""How a rollback note starts when the rollback itself failed."""


class Outcome(StrEnum):
    """How one change ended."""

    APPLIED = "applied"
    FAILED = "failed"
    SKIPPED = "skipped"


class ChangeOutcome(BaseModel):
    """One planned change and what became of it."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    name: str
    action: Action
    outcome: Outcome
    id: str | None = Field(default=None, description="The deployment id after the change (new id for creates).")
    message: str = Field(default="", description="The API's message on failure, or why it was skipped.")
    rollback: str = Field(default="", description="What a smoke-failure rollback did, if anything.")


class ApplyReport(BaseModel):
    """Every change's outcome plus the read-back check that live now matches desired."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    format_version: int = FORMAT_VERSION
    changes: list[ChangeOutcome] = Field(default_factory=list)
    readback_problems: list[str] = Field(default_factory=list, description="Live differs from desired after apply.")
    interrupted: bool = False
    environment: str | None = Field(default=None, description="The Environment applied to (--env), if any.")
    rollouts: list[str] = Field(
        default_factory=list, description="What rollouts through candidates did: tested, switched, held back, deleted."
    )

    @property
    def failed(self) -> bool:
        """Whether anything failed (a change, or the read-back)."""
        return self.interrupted or bool(self.readback_problems) or any(
            c.outcome is Outcome.FAILED for c in self.changes
        )

    def counts(self) -> dict[str, int]:
        """Number of changes per outcome."""
        return {o.value: sum(1 for c in self.changes if c.outcome is o) for o in Outcome}

    def rollback_counts(self) -> dict[str, int]:
        """How many deployments a smoke-failure rollback restored or paused, and how many rollbacks failed."""
        notes = [c.rollback for c in self.changes if c.rollback]
        failed = sum(1 for note in notes if note.startswith(ROLLBACK_FAILED))
        return {"rolled_back": len(notes) - failed, "rollback_failed": failed}

    def before_rollback(self) -> ApplyReport:
        """The report as apply left it, without rollback notes (to show apply, smoke, then rollback)."""
        return self.model_copy(update={"changes": [c.model_copy(update={"rollback": ""}) for c in self.changes]})

    def to_json(self) -> str:
        """The stable JSON form."""
        data: dict[str, Any] = self.model_dump(mode="json")
        if data.get("environment") is None:
            data.pop("environment", None)
        if not data.get("rollouts"):
            data.pop("rollouts", None)
        data["summary"] = self.counts()
        data["failed"] = self.failed
        return json.dumps(data, indent=2, sort_keys=True) + "\n"
