"""The plan's part about rollouts and the way back: candidates, leftovers, version keepers, retention warnings.

Pure, called by ``engine.planner.build_plan`` once the ordinary changes are made:

- a change of ``workflow_version`` (or ``workflow_id``) of a deployment with a smoke test, whose manifest
  says ``rollout: {strategy: candidate}`` or that ``apply --candidate`` covers, gets a :class:`Rollout`:
  apply smoke-tests the new version on a temporary candidate before it touches the live deployment;
- a candidate an interrupted apply left behind is deleted by the next plan, but only when it is provably
  ours: its name is a declared deployment's candidate name, it is on that deployment's workflow and it keeps
  no warm instance; anything else with a reserved name is left alone and the plan says so;
- a change that moves a deployment off a workflow version no deployment would use any more warns that
  RunComfy's next Cloud Save may remove that version (it keeps three per workflow and removes the oldest
  unused one), or, with ``Settings.keep_previous_version``, creates or re-points the deployment's keeper.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler import catalog, companions
from reconciler.diagnostics import Diagnostic
from reconciler.engine.live import LiveDeployment
from reconciler.engine.plan import Action, FieldChange, ReplaceStrategy, ResourceChange, Rollout
from reconciler.manifest.desired import DesiredDeployment, DesiredState

COLD_START_SECONDS = 300
"""RunComfy documents a 3-5 minute cold start; a candidate starts cold (it keeps no warm instance)."""
CANDIDATE_API_CALLS = 2
"""Create and delete of the candidate, besides its smoke run's own calls."""
SMOKE_API_CALLS = 3
"""Submit, at least one status poll, and the result: the fewest calls one smoke run makes."""
VERSION_FIELDS = frozenset({"workflow_id", "workflow_version"})


def plan_companions(
    desired: DesiredState,
    changes: list[ResourceChange],
    live: Sequence[LiveDeployment],
    found: Sequence[LiveDeployment],
    *,
    candidate_flag: bool,
    targeted: bool,
    prices: Mapping[str, float],
    problems: list[Diagnostic],
) -> tuple[list[ResourceChange], list[str]]:
    """The plan's ``changes`` with rollouts, retention warnings, keepers and leftover-candidate deletes added,
    and plan-wide warnings; ``found`` are the live candidates and keepers (:func:`split_companions`)."""
    changes = attach_rollouts(desired, changes, found, candidate_flag=candidate_flag, prices=prices,
                              problems=problems)
    changes, keepers = retention(desired, changes, live, found)
    leftovers, warnings = leftover_candidates(desired, changes, found)
    owners = {c.name for c in changes}
    leftovers = [c for c in leftovers if not targeted or _owner(c.name) in owners]
    return [*changes, *keepers, *leftovers], warnings


def _owner(name: str) -> str:
    companion = companions.companion_of(name)
    return companion.owner if companion is not None else name


def split_companions(unclaimed: Sequence[LiveDeployment]) -> tuple[list[LiveDeployment], list[LiveDeployment]]:
    """``unclaimed`` live deployments as (ordinary ones, candidates and keepers); prune sees only the first."""
    ordinary = [d for d in unclaimed if companions.companion_of(d.name) is None]
    return ordinary, [d for d in unclaimed if companions.companion_of(d.name) is not None]


def moves_version(change: ResourceChange) -> bool:
    """Whether ``change`` moves a live deployment to another workflow or workflow version."""
    return change.action in (Action.UPDATE, Action.REPLACE) and any(d.field in VERSION_FIELDS for d in change.diff)


def attach_rollouts(
    desired: DesiredState,
    changes: list[ResourceChange],
    found: Sequence[LiveDeployment],
    *,
    candidate_flag: bool,
    prices: Mapping[str, float],
    problems: list[Diagnostic],
) -> list[ResourceChange]:
    """``changes`` with a candidate :class:`Rollout` on each version change that asks for one."""
    result = []
    for change in changes:
        want = desired.deployment(change.name)
        if want is None or not moves_version(change) or not (candidate_flag or want.rollout == "candidate"):
            result.append(change)
            continue
        if want.smoke is None:
            problems.append(Diagnostic(
                f"apply --candidate: {change.name} changes its workflow version but has no smoke test to run on "
                "a candidate", want.source, "spec.smoke",
                "add spec.smoke, or leave it out of this apply (--target)",
            ))
            result.append(change)
            continue
        name = companions.candidate_name(change.name)
        leftovers = [d.id for d in found if d.name == name and _provably_candidate(d, want)]
        result.append(change.model_copy(update={"rollout": _rollout(change, want, name, leftovers, prices)}))
    return result


def _rollout(
    change: ResourceChange, want: DesiredDeployment, name: str, leftovers: list[str], prices: Mapping[str, float]
) -> Rollout:
    assert want.smoke is not None
    after = change.planned_values()
    hardware = str(after.get("hardware"))
    seconds = COLD_START_SECONDS + want.smoke.timeout_seconds
    cost = round(prices.get(hardware, 0.0) * seconds / 3600, 2)
    switch = (f"replace {change.name} (new workflow)" if change.action is Action.REPLACE
              else f"PATCH {change.name} to the new version")
    steps = [
        *([f"delete {len(leftovers)} candidate(s) an interrupted apply left"] if leftovers else []),
        f"create {name} on the new version ({hardware}, min_instances: 0)",
        f"smoke-test {name} (goldens compared); if it fails, delete it and leave {change.name} untouched",
        f"{switch}, smoke-test {change.name} again (roll back to the previous version if that fails)",
        f"delete {name}",
    ]
    calls = CANDIDATE_API_CALLS + len(leftovers) + SMOKE_API_CALLS + (1 if want.smoke.cleanup else 0)
    return Rollout(candidate=name, leftover_ids=leftovers, steps=steps, candidate_cost_max=cost,
                   extra_api_calls=calls)


def _provably_candidate(have: LiveDeployment, owner: DesiredDeployment) -> bool:
    """A live deployment ComfyOps made as ``owner``'s candidate: its name, workflow and no warm instance."""
    return (
        have.name == companions.candidate_name(owner.name)
        and have.fields.get("workflow_id") == owner.fields.get("workflow_id")
        and have.fields.get("min_instances") == 0
    )


def leftover_candidates(
    desired: DesiredState, changes: list[ResourceChange], found: Sequence[LiveDeployment]
) -> tuple[list[ResourceChange], list[str]]:
    """Deletes of the candidates an interrupted apply left (those no rollout of this plan deletes first), and
    warnings about reserved names that are not provably ours (left alone)."""
    rolled = {i for c in changes if c.rollout is not None for i in c.rollout.leftover_ids}
    deletes, warnings = [], []
    for have in found:
        companion = companions.companion_of(have.name)
        if companion is None or companion.kind != "candidate" or have.id in rolled:
            continue
        owner = desired.deployment(companion.owner)
        if owner is None:  # another environment's or repository's, or its owner's manifest is gone: not provable
            warnings.append(
                f"{have.name} ({have.id}) is named as a rollout candidate of {companion.owner}, which these manifests "
                "do not declare; left alone (delete it yourself once no apply is rolling it out)"
            )
            continue
        if not _provably_candidate(have, owner):
            warnings.append(
                f"{have.name} ({have.id}) has a rollout candidate's name but is not on {owner.name}'s workflow "
                "with min_instances: 0; left alone (delete it yourself if it is not needed)"
            )
            continue
        deletes.append(ResourceChange(
            name=have.name, id=have.id, action=Action.DELETE, before={"name": have.name, **have.fields},
            live_fingerprint=have.fingerprint, reason=f"rollout candidate of {owner.name} left by an interrupted apply",
        ))
    return deletes, warnings


def retention(
    desired: DesiredState,
    changes: list[ResourceChange],
    live: Sequence[LiveDeployment],
    found: Sequence[LiveDeployment],
) -> tuple[list[ResourceChange], list[ResourceChange]]:
    """``changes`` with a warning on each that leaves its old version unused, and the keeper changes
    ``Settings.keep_previous_version`` asks for instead."""
    used = _used_after(changes, live)
    keep = desired.settings.keep_previous_version
    result, keepers = [], []
    for change in changes:
        before = change.before or {}
        old = (before.get("workflow_id"), before.get("workflow_version"))
        if not moves_version(change) or None in old or old in used or companions.companion_of(change.name):
            result.append(change)
            continue
        if keep:
            keeper = _keeper_change(change, old, found)
            if keeper is not None:
                keepers.append(keeper)
            note = (f"previous version {old[1]!r} stays saved: {companions.keeper_name(change.name)} "
                    "(paused, min_instances: 0) is pinned to it (Settings.keep_previous_version)")
        else:
            note = (
                f"version {old[1]!r} of workflow {old[0]} will be used by no deployment: the next Cloud Save may "
                "remove it (RunComfy keeps three saved versions per workflow and removes the oldest unused one), "
                "and with it the way back; keep it with Settings.keep_previous_version: true (a paused "
                "min_instances: 0 deployment pinned to it)"
            )
        result.append(change.model_copy(update={"warnings": [*change.warnings, note]}))
    return result, keepers


def _used_after(changes: list[ResourceChange], live: Sequence[LiveDeployment]) -> set[tuple[Any, Any]]:
    """The (workflow id, version) pairs some deployment uses once ``changes`` are applied."""
    touched = {c.id for c in changes if c.action is not Action.NOOP and c.id}
    used = {(d.fields.get("workflow_id"), d.fields.get("workflow_version")) for d in live if d.id not in touched}
    for change in changes:
        if change.action in (Action.CREATE, Action.UPDATE, Action.REPLACE):
            after = change.planned_values()
            used.add((after.get("workflow_id"), after.get("workflow_version")))
    return used


def keeper_fields(workflow: tuple[Any, Any], hardware: Any) -> dict[str, Any]:
    """The essence of a keeper pinned to ``workflow`` (id, version): paused, no warm instance, one at most."""
    fields = {name: catalog.API_DEFAULTS.get(name) for name in catalog.MANAGED_FIELDS}
    fields.update(workflow_id=workflow[0], workflow_version=workflow[1], hardware=hardware, min_instances=0,
                  max_instances=1, is_enabled=False)
    return fields


def _keeper_change(
    change: ResourceChange, old: tuple[Any, Any], found: Sequence[LiveDeployment]
) -> ResourceChange | None:
    name = companions.keeper_name(change.name)
    fields = keeper_fields(old, (change.before or {}).get("hardware"))
    reason = f"keeps version {old[1]!r} of {change.name} saved (Settings.keep_previous_version)"
    have = next((d for d in found if d.name == name), None)
    if have is None:
        return ResourceChange(
            name=name, action=Action.CREATE, after={"name": name, **fields}, reason=reason,
            diff=[FieldChange(field=k, before=None, after=v) for k, v in fields.items()],
        )
    common: dict[str, Any] = dict(
        name=name, id=have.id, before={"name": name, **have.fields}, after={"name": name, **fields},
        live_fingerprint=have.fingerprint, reason=reason,
    )
    if have.fields.get("workflow_id") != old[0]:
        return ResourceChange(
            **common, action=Action.REPLACE, replace_strategy=ReplaceStrategy.DESTROY_BEFORE_CREATE,
            diff=[FieldChange(field=k, before=have.fields.get(k), after=v) for k, v in fields.items()
                  if have.fields.get(k) != v],
        )
    diff = [FieldChange(field=k, before=have.fields.get(k), after=v) for k, v in fields.items()
            if have.fields.get(k) != v and k in catalog.PATCHABLE_FIELDS]
    if not diff:
        return None
    return ResourceChange(**common, action=Action.UPDATE, diff=diff)
