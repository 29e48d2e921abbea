"""The Plan: a plain, versioned, serialisable value saying what apply will do and why.

Pure. Built by ``engine.build.build_plan``, rendered by ``reconciler.render``, saved by
``engine.planfile`` and executed by ``engine.apply``. Fields are either *behavioural* (apply reads
them) or *display-only* (only renderers read them; apply must work with them removed, and a test
checks that). The JSON form is the stable contract (``format_version``); text and Markdown
wording may change.

Secrets never enter a Plan: a field whose desired value came from ``${VAR}`` is recorded with
``sensitive: true`` and the value ``null``; apply takes it from the manifests it re-reads.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from reconciler.policy.report import PolicyReport

FORMAT_VERSION = 1
SENSITIVE = "(sensitive value)"


class Action(StrEnum):
    """What apply does to one deployment; the value is the JSON spelling."""

    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    NOOP = "noop"

    @property
    def symbol(self) -> str:
        """The Terraform-style marker shown beside the deployment in text output."""
        return {"create": "+", "update": "~", "replace": "-/+", "delete": "-", "noop": " "}[self.value]

    @property
    def is_destructive(self) -> bool:
        """Whether the action removes a live deployment."""
        return self in (Action.DELETE, Action.REPLACE)


class ReplaceStrategy(StrEnum):
    """How a replacement is sequenced (behavioural)."""

    CREATE_BEFORE_DESTROY = "create_before_destroy"
    DESTROY_BEFORE_CREATE = "destroy_before_create"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FieldChange(_Frozen):
    """One managed field that differs: behavioural (apply sends ``after``)."""

    field: str
    before: Any = None
    after: Any = None
    sensitive: bool = False


class ResourceChange(_Frozen):
    """What happens to one deployment."""

    name: str = Field(description="Behavioural: the desired name (or live name for deletes).")
    id: str | None = Field(default=None, description="Behavioural: the live deployment's id (None for create).")
    action: Action
    diff: list[FieldChange] = Field(default_factory=list, description="Behavioural: fields to change.")
    before: dict[str, Any] | None = Field(default=None, description="Behavioural: live essence read by plan.")
    after: dict[str, Any] | None = Field(default=None, description="Behavioural: desired essence (secrets null).")
    sensitive_fields: list[str] = Field(default_factory=list, description="Behavioural: fields apply must re-resolve.")
    replace_strategy: ReplaceStrategy | None = Field(default=None, description="Behavioural, for replace only.")
    live_fingerprint: str | None = Field(default=None, description="Behavioural: stale-plan check.")
    reason: str = Field(default="", description="Display-only: why this action.")
    warnings: list[str] = Field(default_factory=list, description="Display-only.")
    source: str | None = Field(default=None, description="Display-only: manifest file:line.")
    monthly_cost_before: float = Field(default=0.0, description="Display-only: USD per month of warm instances.")
    monthly_cost_after: float = Field(default=0.0, description="Display-only.")

    @property
    def monthly_cost_delta(self) -> float:
        """Change in standing monthly cost (USD) this change causes."""
        return round(self.monthly_cost_after - self.monthly_cost_before, 2)


class UnmanagedDeployment(_Frozen):
    """A live deployment no manifest declares and no prune pattern matches: reported, never touched."""

    name: str
    id: str


class Summary(_Frozen):
    """Counts per action, computed once (``Plan.summary``) for every renderer."""

    create: int = 0
    update: int = 0
    replace: int = 0
    delete: int = 0
    noop: int = 0

    @property
    def changes(self) -> int:
        """Number of deployments that apply would touch."""
        return self.create + self.update + self.replace + self.delete


class Plan(_Frozen):
    """Everything apply needs and every renderer shows; see the module docstring."""

    format_version: int = FORMAT_VERSION
    comfyops_version: str = ""
    changes: list[ResourceChange] = Field(default_factory=list)
    unmanaged: list[UnmanagedDeployment] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list, description="Display-only: plan-wide warnings.")
    targets: list[str] = Field(default_factory=list, description="Display-only: --target patterns used.")
    allow_replace: bool = Field(default=False, description="Behavioural: whether replace may run.")
    manifest_fingerprint: str = Field(default="", description="Behavioural: stale-plan check.")
    live_fingerprints: dict[str, str] = Field(default_factory=dict, description="Behavioural: id -> fingerprint.")
    manifest_files: list[str] = Field(default_factory=list, description="Behavioural: re-read by apply PLANFILE.")
    environment: str | None = Field(
        default=None, description="Behavioural: the Environment planned (--env); apply PLANFILE refuses another."
    )
    policy: PolicyReport | None = Field(
        default=None, description="Behavioural: policy results; apply refuses a plan with any denial."
    )

    @property
    def summary(self) -> Summary:
        """Counts per action."""
        counts = {a.value: 0 for a in Action}
        for change in self.changes:
            counts[change.action.value] += 1
        return Summary(**counts)

    @property
    def is_empty(self) -> bool:
        """Whether apply would make no call that changes anything."""
        return self.summary.changes == 0

    @property
    def pending(self) -> list[ResourceChange]:
        """The changes apply executes (everything but noop)."""
        return [c for c in self.changes if c.action is not Action.NOOP]

    @property
    def monthly_cost_delta(self) -> float:
        """Total change in standing monthly cost (USD)."""
        return round(sum(c.monthly_cost_delta for c in self.changes), 2)

    def to_json(self) -> str:
        """The stable JSON form (sorted keys, summary included)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready dict, with the computed summary and cost included for consumers."""
        data = self.model_dump(mode="json")
        for optional in ("environment", "policy"):  # absent, not null, when unused: plans read the same as before
            if data.get(optional) is None:
                data.pop(optional, None)
        data["summary"] = self.summary.model_dump()
        data["monthly_cost_delta"] = self.monthly_cost_delta
        for change, dumped in zip(self.changes, data["changes"], strict=True):
            dumped["monthly_cost_delta"] = change.monthly_cost_delta
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        """Read a plan back from its JSON form (computed keys are ignored)."""
        data = {k: v for k, v in data.items() if k not in ("summary", "monthly_cost_delta")}
        data["changes"] = [
            {k: v for k, v in c.items() if k != "monthly_cost_delta"} for c in data.get("changes", [])
        ]
        return cls.model_validate(data)
