"""The desired state: what the manifests ask for, fully resolved, with every value's source position.

Pure values. Nothing after loading sees raw YAML: defaults are filled in (manifest, then
Settings.defaults, then the API's), variables are substituted, presets are resolved, and each
value remembers where it was written so that plan-time problems can name ``file:line``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from reconciler.diagnostics import Location
from reconciler.manifest.model import SettingsSpec, SmokeSpec
from reconciler.manifest.parsed import ParsedDocument
from reconciler.workflow.graph import WorkflowGraph
from reconciler.workflow.object_info import ObjectInfo

InputOverrides = dict[str, dict[str, Any]]
"""Flattened overrides: node id -> input name -> value."""


@dataclass(frozen=True)
class Preset:
    """One OverridePreset as written: its own overrides and what it extends."""

    name: str
    extends: tuple[str, ...]
    overrides: InputOverrides
    source: Location
    locations: Mapping[tuple[str, str], Location] = field(default_factory=dict)
    sensitive_inputs: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class ResolvedOverrides:
    """Overrides merged from presets and inline values, each input remembering which layer set it."""

    values: InputOverrides
    locations: Mapping[tuple[str, str], Location]
    sensitive_inputs: frozenset[tuple[str, str]] = frozenset()

    def locate(self, node_id: str, input_name: str | None) -> Location | None:
        """Where the override of ``node_id``.``input_name`` (or the node's first one) was written."""
        if input_name is not None and (node_id, input_name) in self.locations:
            return self.locations[(node_id, input_name)]
        return next((loc for (node, _), loc in self.locations.items() if node == node_id), None)


@dataclass(frozen=True)
class ExpiredIgnore:
    """An ``ignore_changes`` rule whose ``until`` has passed: its field counts again, and reports say so."""

    field: str
    until: str
    reason: str | None = None

    def describe(self) -> str:
        """One line for reports, e.g. ``ignore_changes rule for min_instances expired 2026-12-01 (reason)``."""
        why = f" ({self.reason})" if self.reason else ""
        return f"ignore_changes rule for {self.field} expired {self.until}{why}: the field counts again"


@dataclass(frozen=True)
class DesiredDeployment:
    """One deployment as the manifests want it, with API defaults applied."""

    name: str
    fields: Mapping[str, Any]
    """The managed fields (catalog.MANAGED_FIELDS), every one resolved to a value."""
    source: Location
    pinned_id: str | None = None
    previous_names: tuple[str, ...] = ()
    state: str = "present"
    protect: bool = False
    ignore_changes: frozenset[str] = frozenset()
    """The fields left alone now: plain entries, and entries whose ``until`` has not passed."""
    expired_ignores: tuple[ExpiredIgnore, ...] = ()
    """Entries whose ``until`` has passed when the manifests were loaded."""
    smoke: SmokeSpec | None = None
    smoke_overrides: ResolvedOverrides | None = None
    workflow_file: str | None = None
    goldens: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """(output node id, channel) -> the golden picture ``similar_to`` names, resolved against the manifest."""
    workflow: WorkflowGraph | None = None
    object_info: ObjectInfo | None = None
    field_locations: Mapping[str, Location] = field(default_factory=dict)
    sensitive_fields: frozenset[str] = frozenset()
    rollout: str = "direct"
    """``spec.rollout.strategy``: ``direct`` or ``candidate`` (smoke a temporary copy before switching)."""

    @property
    def is_absent(self) -> bool:
        """Whether the manifest asks for this deployment to be deleted."""
        return self.state == "absent"


@dataclass(frozen=True)
class EnvironmentInfo:
    """The environment a DesiredState was resolved for: its name and how to reach its account."""

    name: str
    name_prefix: str = ""
    name_suffix: str = ""
    api_url: str | None = None
    token_env: str = "RUNCOMFY_API_TOKEN"
    source: Location | None = None


@dataclass(frozen=True)
class DesiredState:
    """Everything the manifests declare, resolved and checked."""

    deployments: tuple[DesiredDeployment, ...]
    presets: Mapping[str, Preset]
    settings: SettingsSpec
    files: tuple[str, ...]
    secret_values: frozenset[str] = frozenset()
    settings_source: Location | None = None
    environment: EnvironmentInfo | None = None
    """The environment these manifests were resolved for (``--env``), or None without Environment documents."""
    policy_paths: tuple[str, ...] = ()
    """Settings.policy.paths, resolved against the folder of the file that wrote them."""
    documents: tuple[ParsedDocument, ...] = field(default=(), compare=False, repr=False)
    """The resolved documents this state was assembled from (for policy input and ``validate --print``)."""

    @property
    def environment_name(self) -> str | None:
        """The selected environment's name, if any."""
        return self.environment.name if self.environment is not None else None
    variable_fingerprints: Mapping[str, str] = field(default_factory=dict)
    """Each ``${VAR}`` the manifests use -> a digest of its value (never the value)."""
    source_fingerprint: str = ""
    """A digest of the manifests as written, before variables are substituted."""
    foreign_ids: Mapping[str, str] = field(default_factory=dict)
    """Live deployment ids pinned by *other* environments -> that environment's name: never matched,
    changed or pruned here, whatever their names."""
    skipped_files: tuple[str, ...] = field(default=(), compare=False)
    """YAML files a folder walk skipped as someone else's (shown beside prune's changes: one may have been
    meant to declare what prune removes)."""

    def deployment(self, name: str) -> DesiredDeployment | None:
        """The deployment declared under ``name``, if any (the first, should two share it)."""
        return self._by_name.get(name)

    @cached_property
    def _by_name(self) -> Mapping[str, DesiredDeployment]:
        """Deployments by name, first declaration first: a plan looks up every one of thousands."""
        index: dict[str, DesiredDeployment] = {}
        for d in self.deployments:
            index.setdefault(d.name, d)
        return index

    def fingerprint(self) -> str:
        """A digest of everything plan depends on, to tell whether manifests changed since a saved plan."""
        essence: dict[str, Any] = {
            "deployments": [
                {
                    "name": d.name,
                    "fields": dict(d.fields),
                    "pinned_id": d.pinned_id,
                    "previous_names": list(d.previous_names),
                    "state": d.state,
                    "protect": d.protect,
                    "ignore_changes": sorted(d.ignore_changes),
                    **({"rollout": d.rollout} if d.rollout != "direct" else {}),
                }
                for d in self.deployments
            ],
            "settings": _settings_essence(self.settings),
        }
        if self.environment is not None:
            essence["environment"] = self.environment.name
        if self.foreign_ids:
            essence["foreign_ids"] = dict(sorted(self.foreign_ids.items()))
        text = json.dumps(essence, sort_keys=True, separators=(",", ":"), default=str)
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _settings_essence(settings: SettingsSpec) -> dict[str, Any]:
    """Settings as the fingerprint sees them; newer fields left at their defaults are omitted so that
    plans saved before those fields existed keep their fingerprint."""
    data: dict[str, Any] = settings.model_dump(mode="json", exclude={"drift", "notify"})  # no bearing on a plan
    if "policy" not in settings.model_fields_set:
        data.pop("policy", None)
    if not settings.prune.exclude:
        data["prune"].pop("exclude", None)
    if not settings.keep_previous_version:
        data.pop("keep_previous_version", None)
    return data


def secret_strings(desired: DesiredState) -> frozenset[str]:
    """Every secret text the manifests hold: interpolated secrets and sensitive fields' values."""
    values = {str(v) for d in desired.deployments for f in d.sensitive_fields if (v := d.fields.get(f)) is not None}
    return frozenset(s for s in (*desired.secret_values, *values) if len(s) >= 4)
