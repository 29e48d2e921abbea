"""The Plan: a plain, versioned, serialisable value saying what apply will do and why.

Pure. Built by ``engine.planner.build_plan``, rendered by ``reconciler.render``, saved by
``engine.planfile`` and executed by ``session.executor``. Fields are either *behavioural* (apply reads
them) or *display-only* (only renderers read them; apply must work with them removed, and a test
checks that). The JSON form is the stable contract (``format_version``); text and Markdown
wording may change.

Secrets never enter a Plan: a field whose desired value came from a secret variable is recorded
with ``sensitive: true`` and the value ``null``; apply takes it from the manifests it re-reads. A
live value is recorded as it is, unless it equals (or contains) a secret: then it is ``null`` and
listed in ``before_sensitive``.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from reconciler import jsontext
from reconciler.engine.snapshot import format_age
from reconciler.policy.report import PolicyReport

FORMAT_VERSION = 1
COMPUTED_KEYS = ("summary", "monthly_cost_delta", "checksum", "planned_against")
"""Keys of the JSON form computed from the rest (``Plan.to_dict``); reading a plan ignores them."""


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
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class FieldChange(_Frozen):
    """One managed field that differs: behavioural (apply sends ``after``).

    ``sensitive`` masks the desired side (``after`` is null; apply re-reads it from the manifests).
    The live side is masked only when it holds a secret (the change's ``before_sensitive``).
    """

    field: str
    before: Any = None
    after: Any = None
    sensitive: bool = False


class RolloutStrategy(StrEnum):
    """How a workflow change reaches a live deployment (behavioural)."""

    CANDIDATE = "candidate"


class Rollout(_Frozen):
    """A change rolled out through a candidate: smoke-test the new version on a temporary copy, then switch.

    Behavioural: ``candidate`` (the temporary deployment's name) and ``leftover_ids`` (candidates an
    interrupted apply left behind, deleted before the new one is made). The rest is display-only.
    """

    strategy: RolloutStrategy = RolloutStrategy.CANDIDATE
    candidate: str = Field(description="Behavioural: the candidate deployment's name.")
    leftover_ids: list[str] = Field(
        default_factory=list, description="Behavioural: ids of earlier candidates of this deployment, deleted first."
    )
    steps: list[str] = Field(default_factory=list, description="Display-only: what apply will do, in order.")
    smoke_runs: int = Field(default=2, description="Display-only: smoke requests the rollout submits.")
    candidate_cost_max: float = Field(
        default=0.0, description="Display-only: USD at most for the candidate's run (timeout + keep-warm, list price)."
    )
    extra_api_calls: int = Field(
        default=0, description="Display-only: API calls beyond a plain apply --smoke of this change (at least)."
    )


class ResourceChange(_Frozen):
    """What happens to one deployment."""

    name: str = Field(description="Behavioural: the desired name (or live name for deletes).")
    id: str | None = Field(default=None, description="Behavioural: the live deployment's id (None for create).")
    action: Action
    diff: list[FieldChange] = Field(default_factory=list, description="Behavioural: fields to change.")
    before: dict[str, Any] | None = Field(default=None, description="Behavioural: live essence read by plan.")
    after: dict[str, Any] | None = Field(
        default=None,
        description="Derived: the essence after apply (secrets null), what before + diff make; apply reads "
        "planned_values(), and a saved plan whose after disagrees with it is refused.",
    )
    sensitive_fields: list[str] = Field(default_factory=list, description="Behavioural: fields apply must re-resolve.")
    before_sensitive: list[str] = Field(
        default_factory=list, description="Behavioural: live fields null in before because they hold a secret "
        "(masked when shown; rollback cannot restore them).",
    )
    replace_strategy: ReplaceStrategy | None = Field(default=None, description="Behavioural, for replace only.")
    rollout: Rollout | None = Field(
        default=None, description="Behavioural: roll the change out through a smoke-tested candidate first."
    )
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

    def planned_values(self) -> dict[str, Any]:
        """The essence apply makes live, derived from what the plan shows: ``diff`` (over ``before``).

        This is the one source of truth apply reads; ``after`` is kept for readers of the JSON and
        must agree with it (``engine.planfile`` refuses a file where it does not). Sensitive fields
        are null here; apply fills them in from the manifests.
        """
        changed = {d.field: d.after for d in self.diff if d.field != "name"}
        base = {} if self.action is Action.CREATE else dict(self.before or {})
        return {**base, **changed, "name": self.name}


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


class SnapshotSource(_Frozen):
    """Where a plan's live state came from when it was read from a snapshot file (``plan --live-snapshot``)."""

    endpoint: str = Field(description="What the snapshot was read from, e.g. 'RunComfy API at https://...'.")
    taken_at: str = Field(description="When the snapshot was taken (ISO 8601, UTC).")
    age_seconds: int = Field(description="How old the snapshot was when the plan was made.")
    checksum: str = Field(description="The snapshot file's checksum.")

    def sentence(self) -> str:
        """``Planned against a snapshot of <endpoint> taken <time> (<age> ago)``."""
        taken = self.taken_at.replace("T", " ").replace("Z", " UTC")
        return f"Planned against a snapshot of {self.endpoint} taken {taken} ({format_age(self.age_seconds)} ago)"


class Plan(_Frozen):
    """Everything apply needs and every renderer shows; see the module docstring."""

    format_version: int = FORMAT_VERSION
    comfyops_version: str = ""
    changes: list[ResourceChange] = Field(default_factory=list)
    unmanaged: list[UnmanagedDeployment] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list, description="Display-only: plan-wide warnings.")
    targets: list[str] = Field(default_factory=list, description="Display-only: --target patterns used.")
    endpoint: str = Field(
        default="", description="Display-only: where live state was read, e.g. 'RunComfy API at https://...'."
    )
    allow_replace: bool = Field(default=False, description="Behavioural: whether replace may run.")
    manifest_fingerprint: str = Field(default="", description="Behavioural: stale-plan check.")
    source_fingerprint: str = Field(default="", description="Behavioural: stale-plan check (manifests as written).")
    variable_fingerprints: dict[str, str] = Field(
        default_factory=dict, description="Behavioural: stale-plan check; ${VAR} name -> digest of its value."
    )
    live_fingerprints: dict[str, str] = Field(default_factory=dict, description="Behavioural: id -> fingerprint.")
    manifest_files: list[str] = Field(default_factory=list, description="Behavioural: re-read by apply PLANFILE.")
    environment: str | None = Field(
        default=None, description="Behavioural: the Environment planned (--env); apply PLANFILE refuses another."
    )
    policy: PolicyReport | None = Field(
        default=None, description="Behavioural: policy results; apply refuses a plan with any denial."
    )
    snapshot: SnapshotSource | None = Field(
        default=None, description="Display-only: the live snapshot planned against (plan --live-snapshot)."
    )

    @property
    def planned_against(self) -> str:
        """The header line saying what live state the plan read: a snapshot, the API or the emulator."""
        if self.snapshot is not None:
            return self.snapshot.sentence()
        return f"Planned against {self.endpoint}" if self.endpoint else ""

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
        """The stable JSON form (sorted keys, indented by two, summary included)."""
        return jsontext.dumps_indented(self.to_dict()) + "\n"

    def checksum(self) -> str:
        """A digest of the plan's whole content, so that a plan file edited after it was written is refused."""
        return content_checksum(self._dumped())

    def _dumped(self) -> dict[str, Any]:
        """The model's JSON form, with ``environment`` and ``policy`` absent (not null) when unused, so a plan
        without them reads, and checksums, the same as before they existed."""
        data = self.model_dump(mode="json")
        for change in data["changes"]:
            if change.get("rollout") is None:
                change.pop("rollout", None)
        for optional in ("environment", "policy", "snapshot"):
            if data.get(optional) is None:
                data.pop(optional, None)
        return data

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready dict, with the computed summary, cost and checksum included for consumers."""
        data = self._dumped()
        data["checksum"] = content_checksum(data)  # before the computed keys go in: what checksum() covers
        data["summary"] = self.summary.model_dump()
        data["monthly_cost_delta"] = self.monthly_cost_delta
        if self.snapshot is not None:
            data["planned_against"] = self.planned_against
        for change, dumped in zip(self.changes, data["changes"], strict=True):
            dumped["monthly_cost_delta"] = change.monthly_cost_delta
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        """Read a plan back from its JSON form (computed keys are ignored)."""
        return cls.model_validate(written_content(data))


def written_content(data: dict[str, Any]) -> dict[str, Any]:
    """A plan's JSON form as written, without the keys computed from it (what :func:`content_checksum` covers)."""
    content = {k: v for k, v in data.items() if k not in COMPUTED_KEYS}
    changes = data.get("changes", [])
    if isinstance(changes, list):
        content["changes"] = [
            {k: v for k, v in c.items() if k != "monthly_cost_delta"} if isinstance(c, dict) else c for c in changes
        ]
    return content


def content_checksum(content: dict[str, Any]) -> str:
    """The digest of a plan's content (its JSON form, computed keys left out), canonically serialised.

    Taken over the JSON as written when a plan file is read, so a value that validation would coerce
    (``"0"`` read as ``false``) is an edit, never the same plan."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
