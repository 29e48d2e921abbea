"""Undoing changes whose smoke test failed (``apply --smoke --rollback-on-smoke-failure``).

Effectful. An updated deployment is restored to the live settings the plan recorded before apply
(``ResourceChange.before``); a created or replaced deployment is paused (``is_enabled: false``), never
deleted, so its logs and requests stay inspectable. Each outcome's ``rollback`` note says what was
done, or why it could not be.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from reconciler import catalog
from reconciler.engine.plan import Action, Plan, ResourceChange
from reconciler.engine.report import ROLLBACK_FAILED, ApplyReport, ChangeOutcome, Outcome
from reconciler.runcomfy import errors as api_errors
from reconciler.runcomfy.client import RunComfyClient


def rollback(plan: Plan, report: ApplyReport, failed: Collection[str], *, client: RunComfyClient) -> ApplyReport:
    """Roll back the applied changes of the deployments named in ``failed``; the report says what happened."""
    changes = {c.name: c for c in plan.changes}
    outcomes: list[ChangeOutcome] = []
    for outcome in report.changes:
        change = changes.get(outcome.name)
        if outcome.name in failed and outcome.outcome is Outcome.APPLIED and change is not None:
            outcome = outcome.model_copy(update={"rollback": _roll_back_one(change, outcome, client)})
        outcomes.append(outcome)
    return report.model_copy(update={"changes": outcomes})


def _roll_back_one(change: ResourceChange, outcome: ChangeOutcome, client: RunComfyClient) -> str:
    try:
        if change.action in (Action.CREATE, Action.REPLACE):
            client.update_deployment(str(outcome.id), name=change.name, changes={"is_enabled": False})
            return "smoke test failed: paused the new deployment (is_enabled: false)"
        if change.action is Action.UPDATE:
            return _restore(change, client)
    except api_errors.ApiError as exc:
        return f"{ROLLBACK_FAILED}: {exc.summary}"
    return ""


def _restore(change: ResourceChange, client: RunComfyClient) -> str:
    before = change.before or {}
    restore: dict[str, Any] = {}
    lost: list[str] = []
    for diff in change.diff:
        if diff.field == "name" or diff.field not in catalog.PATCHABLE_FIELDS:
            continue
        if diff.field in change.before_sensitive or before.get(diff.field) is None:
            lost.append(diff.field)
            continue
        restore[diff.field] = before[diff.field]
    name = str(before.get("name") or change.name)
    client.update_deployment(str(change.id), name=name, changes=restore)
    note = "smoke test failed: restored the previous settings" + (f" ({', '.join(sorted(restore))})" if restore else "")
    if name != change.name:
        note += f" and name {name!r}"
    if lost:
        note += f"; could not restore sensitive {', '.join(lost)}"
    return note
