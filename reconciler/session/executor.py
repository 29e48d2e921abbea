"""Executing a Plan through the client, one change at a time, reporting each outcome.

Effectful. Apply uses the plan and nothing else (OpenTofu's rule), except for values the plan holds
as sensitive, which come from the manifests re-read in this process. What it sends is derived from
each change's ``diff`` (``ResourceChange.planned_values``), the part every renderer shows, so a
plan is applied exactly as it was reviewed. Order: creates, updates and
replaces first, deletes last. A failed change does not stop the independent ones unless
``fail_fast``. After the changes, one list call reads everything back and any field that does not
match the plan is a failure. The same listing detects a deployment another apply created under the
same name at the same time, and the later of the two backs off (``_back_off``). Ctrl-C stops before
the next change and the report says so; re-running apply converges because planning is level-based
and creates are adopted, never duplicated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from reconciler import catalog, interrupts
from reconciler.engine import live
from reconciler.engine.plan import Action, Plan, ReplaceStrategy, ResourceChange
from reconciler.engine.report import ApplyReport, ChangeOutcome, Outcome
from reconciler.errors import ReconcilerError
from reconciler.runcomfy import errors as api_errors
from reconciler.runcomfy import wire
from reconciler.runcomfy.client import RunComfyClient
from reconciler.secrets import SENSITIVE


class ApplyHooks(Protocol):
    """Progress callbacks; the engine never prints."""

    def before_change(self, change: ResourceChange) -> None:
        """Called before a change's first API call."""

    def after_change(self, outcome: ChangeOutcome) -> None:
        """Called once a change has an outcome."""


class SilentHooks:
    """Hooks that do nothing."""

    def before_change(self, change: ResourceChange) -> None:
        """Do nothing."""

    def after_change(self, outcome: ChangeOutcome) -> None:
        """Do nothing."""


@dataclass
class _Run:
    client: RunComfyClient
    secrets: Mapping[str, Mapping[str, Any]]
    hooks: ApplyHooks
    outcomes: list[ChangeOutcome] = field(default_factory=list)


def execution_order(plan: Plan) -> list[ResourceChange]:
    """The plan's pending changes in the order apply runs them: creates/updates/replaces, then deletes."""
    pending = plan.pending
    return [c for c in pending if c.action is not Action.DELETE] + [c for c in pending if c.action is Action.DELETE]


def execute(
    plan: Plan,
    *,
    client: RunComfyClient,
    secrets: Mapping[str, Mapping[str, Any]] | None = None,
    hooks: ApplyHooks | None = None,
    fail_fast: bool = False,
) -> ApplyReport:
    """Apply every pending change of ``plan``; ``secrets`` maps name -> sensitive field -> value."""
    if any(c.action is Action.REPLACE for c in plan.changes) and not plan.allow_replace:
        names = ", ".join(c.name for c in plan.changes if c.action is Action.REPLACE)
        raise ReconcilerError(
            f"the plan replaces {names}; refusing without --allow-replace",
            "a replace deletes a deployment and creates a new one (new id); pass --allow-replace to proceed",
        )
    run = _Run(client=client, secrets=secrets or {}, hooks=hooks or SilentHooks())
    order = execution_order(plan)
    interrupted = False
    for index, change in enumerate(order):
        if fail_fast and any(o.outcome is Outcome.FAILED for o in run.outcomes):
            _skip_rest(run, order[index:], "an earlier change failed (--fail-fast)")
            break
        run.hooks.before_change(change)
        try:
            with interrupts.running(f"{change.action.value} of {change.name}"):
                outcome = _apply_one(run, change)
        except KeyboardInterrupt:
            interrupted = True
            outcome = ChangeOutcome(
                name=change.name,
                action=change.action,
                outcome=Outcome.FAILED,
                id=change.id,
                message="interrupted while in progress; re-run apply to converge",
            )
            run.outcomes.append(outcome)
            run.hooks.after_change(outcome)
            _skip_rest(run, order[index + 1 :], "interrupted (Ctrl-C)")
            break
        run.outcomes.append(outcome)
        run.hooks.after_change(outcome)
    readback = [] if interrupted else _read_back(run, order)
    return ApplyReport(changes=run.outcomes, readback_problems=readback, interrupted=interrupted)


def _created_order(deployment: wire.Deployment) -> tuple[datetime, str]:
    try:
        when = datetime.fromisoformat(deployment.created_at or "")
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
    except ValueError:
        when = datetime.max.replace(tzinfo=UTC)
    return when, deployment.id


def _back_off(run: _Run, order: list[ResourceChange], listed: list[wire.Deployment]) -> None:
    """Another apply created a deployment of the same name at the same time: the earliest one stays.

    Re-list once after the creates. For each name this run created that now has another live
    deployment the plan did not know, the winner is the earliest ``created_at``, then the lowest id.
    When it is not ours, we delete only the deployment we just created (it has served nothing). The
    other run, seeing the same order, keeps its own; so two applies started together converge.
    """
    created = {
        index: outcome
        for index, outcome in enumerate(run.outcomes)
        if outcome.outcome is Outcome.APPLIED and outcome.action in (Action.CREATE, Action.REPLACE) and outcome.id
    }
    known = {c.id for c in order if c.id}
    for index, outcome in created.items():
        same_name = [d for d in listed if d.name == outcome.name]
        ours = next((d for d in same_name if d.id == outcome.id), None)
        rivals = [d for d in same_name if d.id != outcome.id and d.id not in known]
        if ours is None or not rivals:
            continue
        winner = min([ours, *rivals], key=_created_order)
        if winner.id == ours.id:
            continue
        message = f"conflict: another apply created {outcome.name} first; kept {winner.id}"
        update: dict[str, Any] = {"id": winner.id, "message": message}
        try:
            run.client.delete_deployment(ours.id)
        except api_errors.ApiError as exc:
            update = {
                "outcome": Outcome.FAILED,
                "message": f"conflict: another apply created {outcome.name} first ({winner.id}); deleting "
                f"this run's duplicate {ours.id} failed: {exc.summary}",
            }
        run.outcomes[index] = outcome.model_copy(update=update)
        run.hooks.after_change(run.outcomes[index])


def _skip_rest(run: _Run, rest: list[ResourceChange], why: str) -> None:
    for change in rest:
        outcome = ChangeOutcome(
            name=change.name, action=change.action, outcome=Outcome.SKIPPED, id=change.id, message=why
        )
        run.outcomes.append(outcome)
        run.hooks.after_change(outcome)


def _apply_one(run: _Run, change: ResourceChange) -> ChangeOutcome:
    try:
        new_id = _dispatch(run, change)
    except (api_errors.ApiError, ReconcilerError) as exc:
        return ChangeOutcome(
            name=change.name, action=change.action, outcome=Outcome.FAILED, id=change.id, message=exc.summary
        )
    return ChangeOutcome(name=change.name, action=change.action, outcome=Outcome.APPLIED, id=new_id)


def _dispatch(run: _Run, change: ResourceChange) -> str | None:
    if change.action is Action.CREATE:
        return _create(run, change)
    if change.action is Action.UPDATE:
        _update(run, change)
        return change.id
    if change.action is Action.DELETE:
        run.client.delete_deployment(_require_id(change))
        return change.id
    if change.action is Action.REPLACE:
        if change.replace_strategy is ReplaceStrategy.DESTROY_BEFORE_CREATE:
            run.client.delete_deployment(_require_id(change))
            return _create(run, change)
        new_id = _create(run, change)
        run.client.delete_deployment(_require_id(change))
        return new_id
    return change.id


def _require_id(change: ResourceChange) -> str:
    if not change.id:
        raise ReconcilerError(f"the plan has no deployment id for {change.name!r}")
    return change.id


def desired_values(run: _Run, change: ResourceChange) -> dict[str, Any]:
    """The change's planned essence (from its diff) with sensitive values filled in from the manifests."""
    after = change.planned_values()
    for name in change.sensitive_fields:
        value = run.secrets.get(change.name, {}).get(name)
        if value is None:
            raise ReconcilerError(
                f"the sensitive value of {name} for {change.name!r} is not available",
                "apply the saved plan in the same environment (the ${VAR} it came from must be set)",
            )
        after[name] = value
    return after


def _create(run: _Run, change: ResourceChange) -> str:
    after = desired_values(run, change)
    body = wire.DeploymentCreate(
        name=change.name, **{k: ([after[k]] if k == "hardware" else after[k]) for k in catalog.CREATE_FIELDS}
    )
    created = run.client.create_deployment(body)
    if after.get("is_enabled") is False and created.is_enabled is not False:
        run.client.update_deployment(created.id, name=change.name, changes={"is_enabled": False})
    return created.id


def _update(run: _Run, change: ResourceChange) -> None:
    after = desired_values(run, change)
    changes = {d.field: after[d.field] for d in change.diff if d.field != "name"}
    run.client.update_deployment(_require_id(change), name=str(after.get("name", change.name)), changes=changes)


def _read_back(run: _Run, order: list[ResourceChange]) -> list[str]:
    applied = {o.name: o for o in run.outcomes if o.outcome is Outcome.APPLIED}
    if not applied:
        return []
    try:
        listed = run.client.list_deployments()
    except api_errors.ApiError as exc:
        return [f"could not read live state back to confirm the changes: {exc.summary}"]
    _back_off(run, order, listed)
    applied = {o.name: o for o in run.outcomes if o.outcome is Outcome.APPLIED}
    now = {d.id: d for d in live.from_api_list(x.model_dump(mode="json") for x in listed)}
    problems: list[str] = []
    for change in order:
        outcome = applied.get(change.name)
        if outcome is None:
            continue
        if change.action is Action.DELETE:
            if change.id in now:
                problems.append(f"{change.name}: still exists after delete ({change.id})")
            continue
        current = now.get(outcome.id or "")
        if current is None:
            problems.append(f"{change.name}: not found after apply (expected id {outcome.id})")
            continue
        problems.extend(_mismatches(run, change, current))
    return problems


def _mismatches(run: _Run, change: ResourceChange, current: live.LiveDeployment) -> list[str]:
    after = desired_values(run, change)
    checked = [d.field for d in change.diff] if change.action is Action.UPDATE else [k for k in after if k != "name"]
    problems = []
    if current.name != after.get("name", change.name):
        problems.append(f"{change.name}: live name is {current.name!r}")
    for name in checked:
        if name == "name":
            continue
        if current.fields.get(name) != after.get(name):
            shown = SENSITIVE if name in change.sensitive_fields else repr(current.fields.get(name))
            problems.append(f"{change.name}: {name} is {shown} after apply, expected the planned value")
    return problems
