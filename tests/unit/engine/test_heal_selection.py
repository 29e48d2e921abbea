"""What heal may apply of a plan: updates and intended deletes; never replaces; creates only when applied before."""

from __future__ import annotations

from dataclasses import replace

from reconciler.engine import heal, planner
from reconciler.manifest.model import SettingsSpec
from unit.engine.test_plan_rules import have, state, want


def _plan(*wanted, live, prune: bool = False):
    desired = state(*wanted)
    if prune:
        desired = replace(desired, settings=SettingsSpec.model_validate(
            {"prune": {"enabled": True, "match": ["old-*"]}}))
    plan, _ = planner.build_plan(desired, live, planner.PlanOptions(allow_replace=True, allow_empty=True))
    return plan


def test_updates_and_intended_deletes_are_healed_replaces_never() -> None:
    plan = _plan(
        want("drifted", min_instances=1),
        want("replaced", workflow_id="wf-2"),
        replace(want("gone"), state="absent"),
        live=[have("1", "drifted"), have("2", "replaced"), have("3", "gone"), have("4", "old-x")],
        prune=True,
    )
    chosen = heal.select(plan, seen=(), heal_creates=False)
    assert sorted((c.name, c.action.value) for c in chosen.plan.changes) == [
        ("drifted", "update"), ("gone", "delete"), ("old-x", "delete")]
    assert [(u.name, u.action.value) for u in chosen.left] == [("replaced", "replace")]
    assert chosen.plan.allow_replace is False


def test_a_protected_deployment_is_never_deleted_by_heal() -> None:
    plan = _plan(replace(want("keep"), state="absent", protect=True), live=[have("1", "keep")])
    chosen = heal.select(plan, seen=(), heal_creates=False, protected={"keep"})
    assert chosen.plan.changes == [] and chosen.left[0].reason.startswith("protect: true")


def test_creates_only_of_deployments_seen_live_before_or_with_heal_creates() -> None:
    plan = _plan(want("new"), want("lost"), live=[])
    chosen = heal.select(plan, seen={"lost"}, heal_creates=False)
    assert [c.name for c in chosen.plan.changes] == ["lost"]
    assert [u.name for u in chosen.left] == ["new"] and "never applied" in chosen.left[0].reason
    assert len(heal.select(plan, seen=(), heal_creates=True).plan.changes) == 2
