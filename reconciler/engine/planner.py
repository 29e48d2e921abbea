"""Building the Plan: desired state + live state + options -> Plan (or the rules it breaks).

Pure: ``build_plan`` reads nothing but its arguments. It matches manifests to live deployments,
diffs their essences, picks an action per deployment (create, update, replace, delete, noop),
applies the safety rules (protect, prune scope, the empty-manifest guard, --target), and attaches
warnings and cost figures. Problems that make a plan unsafe are returned as diagnostics.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler import __version__, catalog
from reconciler.diagnostics import Diagnostic, Location
from reconciler.engine import diff, match, rollouts, targets
from reconciler.engine.live import LiveDeployment
from reconciler.engine.natural import natural_key
from reconciler.engine.plan import (
    Action,
    FieldChange,
    Plan,
    ReplaceStrategy,
    ResourceChange,
    UnmanagedDeployment,
)
from reconciler.manifest.desired import DesiredDeployment, DesiredState
from reconciler.secrets import SENSITIVE, mask

PRUNE_REASON = "no manifest declares it and it matches prune pattern"
"""How a prune change's reason starts (see :func:`is_prune`)."""
ABSENT_REASON = "state: absent"


@dataclass(frozen=True)
class PlanOptions:
    """Choices the user made on the command line."""

    targets: tuple[str, ...] = ()
    allow_replace: bool = False
    allow_empty: bool = False
    candidate: bool = False
    """``apply --candidate``: roll each version change of a smoke-tested deployment out through a candidate."""
    endpoint: str = ""
    """What live state was read from (display-only), e.g. ``RunComfy API at https://api.runcomfy.net``."""


def build_plan(
    desired: DesiredState,
    live: list[LiveDeployment],
    options: PlanOptions = PlanOptions(),
    matching: match.Matching | None = None,
) -> tuple[Plan, list[Diagnostic]]:
    """The plan that makes ``live`` match ``desired``, and any problems that forbid applying it.

    ``matching`` is :func:`~reconciler.engine.match.match_all` of the same arguments when the caller
    already ran it (plan does, to find the deployments whose saved versions it reads); else it is run here.
    """
    prices = prices_of(desired)
    theirs = [d for d in live if d.id in desired.foreign_ids]  # pinned by another environment: never touched
    here = [d for d in live if d.id not in desired.foreign_ids] if theirs else live
    found = matching if matching is not None and not theirs else match.match_all(desired.deployments, here)
    matches, unclaimed, problems = found.matches, found.unclaimed, list(found.problems)
    problems.extend(_claims_on_foreign(desired, theirs))
    secrets = Secrets.of(desired)
    changes = [_with_expired_rules(m.desired, _change_for(m, prices, problems, secrets)) for m in matches]
    unclaimed, companion_live = rollouts.split_companions(unclaimed)
    prune_changes, unmanaged = _prune(desired, unclaimed, prices, secrets)
    unmanaged.extend(theirs)
    changes.extend(prune_changes)
    known = [*(d.name for d in desired.deployments), *(c.name for c in changes)]
    problems.extend(targets.unmatched(options.targets, known))
    changes = [c for c in changes if targets.selected(c.name, options.targets)]
    changes, companion_warnings = rollouts.plan_companions(
        desired, changes, live, companion_live, candidate_flag=options.candidate, targeted=bool(options.targets),
        prices=prices, problems=problems,
    )
    changes.sort(key=lambda c: (natural_key(c.name), c.id or ""))
    changes = [secrets.scrub_text(c) for c in changes]
    _guard_empty(desired, changes, options, problems)
    warnings = companion_warnings
    if options.targets:
        warnings.append("targeted plan: changes to other deployments may be pending")
    if any(c.action is Action.REPLACE for c in changes) and not options.allow_replace:
        warnings.append("this plan replaces deployments; apply refuses it without --allow-replace")
    plan = Plan(
        comfyops_version=__version__,
        changes=changes,
        unmanaged=[UnmanagedDeployment(name=d.name, id=d.id) for d in unmanaged],
        warnings=warnings,
        targets=list(options.targets),
        endpoint=options.endpoint,
        allow_replace=options.allow_replace,
        manifest_fingerprint=desired.fingerprint(),
        source_fingerprint=desired.source_fingerprint,
        variable_fingerprints=dict(desired.variable_fingerprints),
        live_fingerprints={d.id: d.fingerprint for d in sorted(live, key=lambda d: d.id)},
        manifest_files=list(desired.files),
        environment=desired.environment_name,
    )
    return plan, problems


def _claims_on_foreign(desired: DesiredState, theirs: list[LiveDeployment]) -> list[Diagnostic]:
    """A manifest of this environment naming a live deployment another environment pins: an error."""
    problems = []
    for want in desired.deployments:
        for have in theirs:
            if have.name == want.name or have.name in want.previous_names:
                owner = desired.foreign_ids[have.id]
                problems.append(
                    Diagnostic(
                        f"live deployment {have.name!r} ({have.id}) is pinned by environment {owner}; "
                        f"{want.name!r} may not take it over",
                        want.source,
                        "metadata.name",
                        "rename this deployment (or its environment's name_prefix/name_suffix), or remove the "
                        f"pin from environment {owner}",
                    )
                )
    return problems


def prices_of(desired: DesiredState) -> dict[str, float]:
    """Hourly USD price per SKU: the list prices, overridden by ``Settings.prices``."""
    prices: dict[str, float] = {**catalog.HOURLY_PRICE_USD}
    prices.update({str(sku): price for sku, price in desired.settings.prices.items()})
    return prices


def is_prune(change: ResourceChange) -> bool:
    """Whether ``change`` is about a live deployment no manifest declares, inside a prune pattern."""
    return change.reason.startswith(PRUNE_REASON)


def is_absent_delete(change: ResourceChange) -> bool:
    """Whether ``change`` deletes a deployment its manifest marks ``state: absent``."""
    return change.action is Action.DELETE and change.reason == ABSENT_REASON


@dataclass(frozen=True)
class Secrets:
    """The secret values of the manifests, to tell which live values must be masked too."""

    strings: frozenset[str]
    values: tuple[Any, ...]

    @classmethod
    def of(cls, desired: DesiredState) -> Secrets:
        """The secrets ``desired`` holds: interpolated secret values and every sensitive field's value."""
        values = [d.fields[f] for d in desired.deployments for f in d.sensitive_fields if d.fields.get(f) is not None]
        strings = {s for s in desired.secret_values if len(s) >= _MIN_SECRET_LENGTH}
        strings.update(v for v in values if isinstance(v, str) and len(v) >= _MIN_SECRET_LENGTH)
        return cls(frozenset(strings), tuple(values))

    def hidden(self, have: LiveDeployment) -> frozenset[str]:
        """The live fields whose value is (or contains) a secret: the only live values a plan masks."""
        if not self.values and not self.strings:  # manifests without secrets: nothing to look for
            return frozenset()
        return frozenset(k for k, v in have.fields.items() if self._is_secret(v))

    def scrub_text(self, change: ResourceChange) -> ResourceChange:
        """``change`` with every secret replaced in its free text (reason, warnings), so plan files hold none."""
        if not self.strings:
            return change

        def clean(text: str) -> str:
            return mask(text, self.strings)

        return change.model_copy(
            update={"reason": clean(change.reason), "warnings": [clean(w) for w in change.warnings]}
        )

    def _is_secret(self, value: Any) -> bool:
        if any(value == v and type(value) is type(v) for v in self.values):
            return True
        return isinstance(value, str) and any(s in value for s in self.strings)


_MIN_SECRET_LENGTH = 4


def _change_for(
    m: match.Match, prices: Mapping[str, float], problems: list[Diagnostic], secrets: Secrets
) -> ResourceChange:
    want, have = m.desired, m.live
    hidden = secrets.hidden(have) if have is not None else frozenset()
    source = str(want.source)
    if want.is_absent:
        if have is None:
            return ResourceChange(
                name=want.name, action=Action.NOOP, reason="state: absent, and it does not exist", source=source
            )
        if want.protect:
            problems.append(_protected(want, "delete"))
        return ResourceChange(
            name=have.name,
            id=have.id,
            action=Action.DELETE,
            before=_essence(have, hidden),
            before_sensitive=sorted(hidden),
            reason=ABSENT_REASON,
            live_fingerprint=have.fingerprint,
            source=source,
            monthly_cost_before=warm_cost(have.fields, prices),
            warnings=_delete_warnings(have),
        )
    if have is None:
        return ResourceChange(
            name=want.name,
            action=Action.CREATE,
            after=_masked(want, want.fields),
            sensitive_fields=sorted(want.sensitive_fields),
            diff=[_field(want, f, None, v, hidden) for f, v in want.fields.items()],
            reason="not in RunComfy",
            source=source,
            warnings=_create_warnings(want, prices),
            monthly_cost_after=warm_cost(want.fields, prices),
        )
    changed = diff.diff_fields(want.fields, have.fields, ignore=want.ignore_changes)
    # A live value equal to the desired one is shown in `after` anyway, and apply carries over the
    # fields the diff does not change: so only changed or sensitive fields are masked on the live side.
    if hidden:
        hidden &= {d.field for d in changed} | want.sensitive_fields
    field_changes = [_field(want, d.field, d.before, d.after, hidden) for d in changed]
    if m.renamed_from is not None:
        field_changes.insert(0, FieldChange(field="name", before=have.name, after=want.name))
    effective = _effective(want, have)
    cost_before = warm_cost(have.fields, prices)
    common: dict[str, Any] = dict(
        name=want.name,
        id=have.id,
        before=_essence(have, hidden),
        before_sensitive=sorted(hidden),
        after=_masked(want, effective),
        diff=field_changes,
        sensitive_fields=sorted(want.sensitive_fields),
        live_fingerprint=have.fingerprint,
        source=source,
        monthly_cost_before=cost_before,
        monthly_cost_after=warm_cost(effective, prices) if changed else cost_before,  # no diff: the same fields
    )
    if any(d.field == "workflow_id" for d in changed):
        if want.protect:
            problems.append(_protected(want, "replace"))
        strategy = (
            ReplaceStrategy.CREATE_BEFORE_DESTROY if have.name != want.name else ReplaceStrategy.DESTROY_BEFORE_CREATE
        )
        return ResourceChange(
            **common,
            action=Action.REPLACE,
            replace_strategy=strategy,
            reason="workflow_id changed (it cannot be updated in place)",
            warnings=[_replace_note(strategy), *_update_warnings(want, have, changed, prices, replacing=True)],
        )
    if not field_changes:  # common["diff"] is that empty list
        return ResourceChange(**common, action=Action.NOOP, reason="in sync")
    reason = f"renamed from {m.renamed_from!r}" if m.renamed_from else "settings differ"
    unsaved = _unsaved_version(want, have, changed)
    if unsaved is not None:
        problems.append(unsaved)
    return ResourceChange(
        **common, action=Action.UPDATE, reason=reason, warnings=_update_warnings(want, have, changed, prices)
    )


def _with_expired_rules(want: DesiredDeployment, change: ResourceChange) -> ResourceChange:
    """``change`` warning about each ``ignore_changes`` rule of ``want`` whose ``until`` has passed."""
    if not want.expired_ignores:
        return change
    return change.model_copy(update={"warnings": [*change.warnings, *(e.describe() for e in want.expired_ignores)]})


def _effective(want: DesiredDeployment, have: LiveDeployment) -> dict[str, Any]:
    """The fields live will have after apply: desired, except ignored fields keep their live value."""
    if not want.ignore_changes:
        return dict(want.fields)
    return {k: (have.fields.get(k) if k in want.ignore_changes else v) for k, v in want.fields.items()}


def _masked(want: DesiredDeployment, fields: Mapping[str, Any]) -> dict[str, Any]:
    """What live will be after apply, as the plan records it: sensitive values null."""
    if not want.sensitive_fields:
        return {"name": want.name, **fields}
    data = {k: (None if k in want.sensitive_fields else v) for k, v in fields.items()}
    return {"name": want.name, **data}


def _essence(have: LiveDeployment, hide: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The live essence as the plan records it; live values that are secrets are blanked."""
    if not hide:
        return {"name": have.name, **have.fields}
    return {"name": have.name, **{k: (None if k in hide else v) for k, v in have.fields.items()}}


def _field(want: DesiredDeployment, name: str, before: Any, after: Any, hidden: frozenset[str]) -> FieldChange:
    """One field's change; the desired side is blanked when sensitive, the live side only when it is a secret."""
    sensitive = name in want.sensitive_fields
    return FieldChange(
        field=name, before=None if name in hidden else before, after=None if sensitive else after, sensitive=sensitive
    )


def warm_cost(fields: Mapping[str, Any], prices: Mapping[str, float]) -> float:
    """Standing monthly USD cost of a deployment's warm instances (nothing while it is paused)."""
    if fields.get("is_enabled") is False:
        return 0.0
    hardware, warm = fields.get("hardware"), fields.get("min_instances") or 0
    return catalog.monthly_cost(str(hardware), int(warm), prices)


def _protected(want: DesiredDeployment, verb: str) -> Diagnostic:
    return Diagnostic(
        f"plan would {verb} protected deployment {want.name!r}",
        want.field_locations.get("protect", want.source),
        "spec.protect",
        f"set protect: false in the manifest first if you really mean to {verb} it",
    )


def _replace_note(strategy: ReplaceStrategy) -> str:
    if strategy is ReplaceStrategy.CREATE_BEFORE_DESTROY:
        return "replace: the new deployment is created first, then the old one is deleted (new deployment id)"
    return (
        "replace: the old deployment is deleted first because the new one has the same name; "
        "requests fail until the new one is up (rename it to create the new one first)"
    )


def _create_warnings(want: DesiredDeployment, prices: Mapping[str, float]) -> list[str]:
    warnings = []
    if want.fields.get("min_instances", 0) > 0 and want.fields.get("is_enabled", True):
        warnings.append(_standing_cost(want, prices))
    if want.fields.get("is_enabled") is False:
        warnings.append("created disabled (is_enabled: false): requests to it fail until enabled")
    return warnings


def _update_warnings(
    want: DesiredDeployment,
    have: LiveDeployment,
    changed: list[diff.FieldDiff],
    prices: Mapping[str, float],
    *,
    replacing: bool = False,
) -> list[str]:
    """Warnings for changing ``have`` into ``want``; a replace deletes the old deployment, so nothing about
    restarting it or about the old workflow's saved versions applies."""
    fields = {d.field for d in changed}
    warnings = []
    if (
        fields & {"min_instances", "hardware", "is_enabled"}
        and want.fields.get("min_instances", 0) > 0
        and want.fields.get("is_enabled", True)
    ):
        warnings.append(_standing_cost(want, prices))
    rolling = sorted(fields & {"hardware", "workflow_version"})
    if rolling and not replacing:
        warnings.append(
            f"{' and '.join(rolling)} change: rolling restart; in-flight requests finish on the old instances"
        )
    if "is_enabled" in fields and want.fields.get("is_enabled") is False:
        warnings.append("is_enabled: false fails its queued and running requests at once")
    return warnings


def _unsaved_version(want: DesiredDeployment, have: LiveDeployment, changed: list[diff.FieldDiff]) -> Diagnostic | None:
    """The error for a ``workflow_version`` change to a version the workflow has not saved: the API refuses
    the PATCH, so the plan is refused now, as ``terraform plan`` refuses a configuration it knows is invalid."""
    version = want.fields.get("workflow_version")
    if (
        have.known_versions is None
        or version in have.known_versions
        or not any(d.field == "workflow_version" for d in changed)
    ):
        return None
    shown = SENSITIVE if "workflow_version" in want.sensitive_fields else repr(version)
    saved = ", ".join(have.known_versions)
    return Diagnostic(
        f"workflow_version {shown} is not among the workflow's saved versions ({saved}); the API would refuse "
        "the change",
        want.field_locations.get("workflow_version", want.source),
        "spec.workflow_version",
        f"save that version of the workflow in RunComfy first, or use one of: {saved}",
    )


def _standing_cost(want: DesiredDeployment, prices: Mapping[str, float]) -> str:
    warm, hardware = want.fields["min_instances"], want.fields["hardware"]
    cost = catalog.monthly_cost(hardware, warm, prices)
    if want.sensitive_fields & {"min_instances", "hardware"}:
        return f"warm instances are billed while idle (about ${cost:,.2f}/month)"
    return (
        f"min_instances: {warm} keeps {warm} {hardware} instance{'s' if warm != 1 else ''} "
        f"warm and billed while idle (about ${cost:,.2f}/month)"
    )


def _delete_warnings(have: LiveDeployment) -> list[str]:
    return [f"deleting {have.name!r} is permanent; pausing (is_enabled: false) is the reversible alternative"]


def _prune(
    desired: DesiredState, unclaimed: list[LiveDeployment], prices: Mapping[str, float], secrets: Secrets
) -> tuple[list[ResourceChange], list[LiveDeployment]]:
    prune = desired.settings.prune
    changes: list[ResourceChange] = []
    unmanaged: list[LiveDeployment] = []
    source = str(desired.settings_source) if desired.settings_source else None
    skipped_note = [skipped_files_note(desired.skipped_files)] if desired.skipped_files else []
    for have in unclaimed:
        pattern = next((p for p in prune.match if fnmatch.fnmatchcase(have.name, p)), None)
        excluded = any(fnmatch.fnmatchcase(have.name, p) for p in prune.exclude)
        if not prune.enabled or pattern is None or excluded:
            unmanaged.append(have)
            continue
        hidden = secrets.hidden(have)
        common: dict[str, Any] = dict(
            name=have.name,
            id=have.id,
            before=_essence(have, hidden),
            before_sensitive=sorted(hidden),
            live_fingerprint=have.fingerprint,
            source=source,
            monthly_cost_before=warm_cost(have.fields, prices),
        )
        reason = f"{PRUNE_REASON} {pattern!r}"
        if prune.action == "pause":
            if have.fields.get("is_enabled") is False:
                changes.append(
                    ResourceChange(
                        **common,
                        action=Action.NOOP,
                        reason=f"{reason} (already paused)",
                        after=_essence(have, hidden),
                        monthly_cost_after=0.0,
                    )
                )
                continue
            changes.append(
                ResourceChange(
                    **common,
                    action=Action.UPDATE,
                    after={**_essence(have, hidden), "is_enabled": False},
                    diff=[FieldChange(field="is_enabled", before=have.fields.get("is_enabled"), after=False)],
                    reason=f"{reason} (prune action: pause)",
                    monthly_cost_after=0.0,
                    warnings=["is_enabled: false fails its queued and running requests at once", *skipped_note],
                )
            )
        else:
            changes.append(
                ResourceChange(
                    **common, action=Action.DELETE, reason=reason, warnings=[*_delete_warnings(have), *skipped_note]
                )
            )
    return changes, unmanaged


SKIPPED_SHOWN = 5
"""Skipped files named in the note beside prune's changes; the rest are counted."""


def skipped_files_note(skipped: tuple[str, ...]) -> str:
    """The warning beside each prune change when the folder walk skipped YAML files as someone else's."""
    count = len(skipped)
    names = ", ".join(skipped[:SKIPPED_SHOWN]) + (f" and {count - SKIPPED_SHOWN} more" if count > SKIPPED_SHOWN else "")
    return (
        f"{count} YAML file{'s' if count != 1 else ''} under -f {'were' if count != 1 else 'was'} skipped as not "
        f"ComfyOps manifests ({names}): if one was meant to declare this deployment, do not apply"
    )


def _guard_empty(
    desired: DesiredState, changes: list[ResourceChange], options: PlanOptions, problems: list[Diagnostic]
) -> None:
    deletes = [
        c
        for c in changes
        if c.action is Action.DELETE
        or (
            c.action is Action.UPDATE
            and c.after
            and c.after.get("is_enabled") is False
            and is_prune(c)
        )
    ]
    if desired.deployments or not deletes or options.allow_empty:
        return
    problems.append(
        Diagnostic(
            f"the manifests declare no deployment, so this plan would prune all {len(deletes)} live "
            "deployments it matches",
            Location(", ".join(desired.files) or "."),
            "",
            "check the -f paths; pass --allow-empty if you really mean to remove everything",
        )
    )
