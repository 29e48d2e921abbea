"""Apply, checked by the exact API calls it makes (sample-controller's expected-actions style).

Each test builds a plan with the real planner from ``DesiredDeployment`` values and a fake account,
runs ``executor.execute`` through a real ``RunComfyClient`` whose transport is an in-memory fake of the
deployments API (``httpx.MockTransport``), and compares the recorded ``(method, path, json)`` calls with
the expected list. A mismatch reports the extra and the missing calls separately, then the order.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

import pytest

from reconciler.diagnostics import Location
from reconciler.engine import live, planner
from reconciler.engine.plan import Action, Plan, ReplaceStrategy
from reconciler.engine.report import ApplyReport
from reconciler.errors import ReconcilerError
from reconciler.manifest.desired import DesiredDeployment, DesiredState
from reconciler.manifest.model import PruneSettings, SettingsSpec
from reconciler.runcomfy.client import DEPLOYMENTS
from reconciler.session import executor
from support.fake_api import Call, FakeDeploymentsApi, client_for
from support.specs import SPEC

LIST: Call = ("GET", DEPLOYMENTS, None)


def assert_calls(actual: list[Call], expected: list[Call]) -> None:
    """Extra and missing calls reported separately (as multisets), then the order."""
    have = Counter(json.dumps(c, sort_keys=True) for c in actual)
    want = Counter(json.dumps(c, sort_keys=True) for c in expected)
    extra = sorted((have - want).elements())
    missing = sorted((want - have).elements())
    assert not extra and not missing, f"extra calls: {extra}\nmissing calls: {missing}"
    assert actual == expected, "same calls, wrong order"


# -- building plans from desired values ---------------------------------------------------------


def want(name: str, *, sensitive: Iterable[str] = (), **kwargs: Any) -> DesiredDeployment:
    extra = {k: kwargs.pop(k) for k in list(kwargs) if k in ("previous_names", "state", "ignore_changes")}
    return DesiredDeployment(
        name=name, fields={**SPEC, **kwargs}, source=Location(f"{name}.yaml", 1, 1),
        sensitive_fields=frozenset(sensitive), **extra,
    )


def have(deployment_id: str, name: str, **kwargs: Any) -> dict[str, Any]:
    return {"id": deployment_id, "name": name, **SPEC, "hardware": [SPEC["hardware"]], **kwargs}


def plan_for(
    wanted: Iterable[DesiredDeployment],
    fake: FakeDeploymentsApi,
    *,
    allow_replace: bool = False,
    prune: PruneSettings | None = None,
) -> Plan:
    state = DesiredState(
        deployments=tuple(wanted), presets={}, settings=SettingsSpec(prune=prune or PruneSettings()),
        files=("manifests",),
    )
    current = live.from_api_list(fake._view(r) for r in fake.records.values())
    plan, problems = planner.build_plan(state, current, planner.PlanOptions(allow_replace=allow_replace))
    assert problems == []
    return plan


def run(plan: Plan, fake: FakeDeploymentsApi, **kwargs: Any) -> ApplyReport:
    return executor.execute(plan, client=client_for(fake), **kwargs)


def outcomes(report: ApplyReport) -> list[tuple[str, str, str]]:
    return [(o.name, o.action.value, o.outcome.value) for o in report.changes]


def create_body(name: str, **kwargs: Any) -> dict[str, Any]:
    fields = {**SPEC, **kwargs}
    body = {k: fields[k] for k in SPEC if k != "is_enabled"}
    return {"name": name, **body, "hardware": [fields["hardware"]]}


# -- the fake itself ---------------------------------------------------------------------------


def test_the_fake_answers_like_the_api() -> None:
    fake = FakeDeploymentsApi([have("d1", "a", hardware="TURING_16")])
    client = client_for(fake)
    assert [d.hardware for d in client.list_deployments()] == [["TURING_16"]]
    refused = client.http.patch(f"{DEPLOYMENTS}/d1", json={"queue_size": 2})
    assert (refused.status_code, refused.json()["error_message"]) == (422, "Deployment name is required")
    assert fake.records["d1"]["queue_size"] == 1
    assert fake.calls == [LIST, ("PATCH", f"{DEPLOYMENTS}/d1", {"queue_size": 2})]


# -- one action at a time ----------------------------------------------------------------------


def test_create_posts_the_exact_body_with_hardware_as_a_list() -> None:
    fake = FakeDeploymentsApi()
    plan = plan_for([want("t2i", hardware="HOPPER_141", min_instances=1, max_instances=4, queue_size=3)], fake)
    report = run(plan, fake)
    body = create_body("t2i", hardware="HOPPER_141", min_instances=1, max_instances=4, queue_size=3)
    assert body["hardware"] == ["HOPPER_141"]
    assert_calls(fake.calls, [("POST", DEPLOYMENTS, body), LIST])
    assert outcomes(report) == [("t2i", "create", "applied")]
    assert report.changes[0].id == "new-1"
    assert not report.failed


def test_create_disabled_then_patches_is_enabled_false_with_the_name() -> None:
    fake = FakeDeploymentsApi()
    report = run(plan_for([want("paused", is_enabled=False)], fake), fake)
    assert_calls(
        fake.calls,
        [
            ("POST", DEPLOYMENTS, create_body("paused")),
            ("PATCH", f"{DEPLOYMENTS}/new-1", {"name": "paused", "is_enabled": False}),
            LIST,
        ],
    )
    assert not report.failed
    assert fake.records["new-1"]["is_enabled"] is False


def test_update_patches_the_name_and_only_the_changed_fields() -> None:
    fake = FakeDeploymentsApi([have("d1", "t2i"), have("d2", "other")])
    plan = plan_for([want("t2i", hardware="AMPERE_80", queue_size=4), want("other")], fake)
    report = run(plan, fake)
    assert_calls(
        fake.calls,
        [("PATCH", f"{DEPLOYMENTS}/d1", {"name": "t2i", "hardware": ["AMPERE_80"], "queue_size": 4}), LIST],
    )
    assert outcomes(report) == [("t2i", "update", "applied")]
    assert report.readback_problems == []


def test_update_leaves_ignored_fields_alone() -> None:
    fake = FakeDeploymentsApi([have("d1", "t2i", min_instances=3, max_instances=5)])
    wanted = want("t2i", min_instances=0, max_instances=5, queue_size=2, ignore_changes=frozenset({"min_instances"}))
    run(plan_for([wanted], fake), fake)
    assert_calls(fake.calls, [("PATCH", f"{DEPLOYMENTS}/d1", {"name": "t2i", "queue_size": 2}), LIST])


def test_rename_patches_the_new_name() -> None:
    fake = FakeDeploymentsApi([have("d1", "old")])
    plan = plan_for([want("new", previous_names=("old",))], fake)
    assert [(c.name, c.action) for c in plan.pending] == [("new", Action.UPDATE)]
    report = run(plan, fake)
    assert_calls(fake.calls, [("PATCH", f"{DEPLOYMENTS}/d1", {"name": "new"}), LIST])
    assert fake.records["d1"]["name"] == "new"
    assert not report.failed


def test_rename_with_a_field_change_is_one_patch() -> None:
    fake = FakeDeploymentsApi([have("d1", "old")])
    run(plan_for([want("new", previous_names=("old",), keep_warm_duration_in_seconds=5)], fake), fake)
    assert_calls(
        fake.calls, [("PATCH", f"{DEPLOYMENTS}/d1", {"name": "new", "keep_warm_duration_in_seconds": 5}), LIST]
    )


def test_deletes_run_last_after_creates_and_updates() -> None:
    fake = FakeDeploymentsApi([have("d1", "a-old"), have("d2", "m-kept")])
    plan = plan_for([want("a-old", state="absent"), want("m-kept", queue_size=2), want("z-new")], fake)
    assert [c.name for c in plan.pending] == ["a-old", "m-kept", "z-new"]  # plan order is by name...
    report = run(plan, fake)
    assert_calls(  # ...apply order puts the delete last
        fake.calls,
        [
            ("PATCH", f"{DEPLOYMENTS}/d2", {"name": "m-kept", "queue_size": 2}),
            ("POST", DEPLOYMENTS, create_body("z-new")),
            ("DELETE", f"{DEPLOYMENTS}/d1", None),
            LIST,
        ],
    )
    assert outcomes(report) == [("m-kept", "update", "applied"), ("z-new", "create", "applied"),
                                ("a-old", "delete", "applied")]
    assert not report.failed


def test_prune_delete_removes_the_unclaimed_match() -> None:
    fake = FakeDeploymentsApi([have("d1", "team-a"), have("d2", "other"), have("d3", "team-kept")])
    plan = plan_for([want("team-kept")], fake, prune=PruneSettings(enabled=True, match=["team-*"]))
    assert [u.name for u in plan.unmanaged] == ["other"]
    run(plan, fake)
    assert_calls(fake.calls, [("DELETE", f"{DEPLOYMENTS}/d1", None), LIST])


def test_replace_create_before_destroy_posts_then_deletes_the_old_one() -> None:
    fake = FakeDeploymentsApi([have("d1", "t2i")])
    plan = plan_for([want("t2i-v2", previous_names=("t2i",), workflow_id="wf-2")], fake, allow_replace=True)
    assert [c.replace_strategy for c in plan.pending] == [ReplaceStrategy.CREATE_BEFORE_DESTROY]
    report = run(plan, fake)
    assert_calls(
        fake.calls,
        [("POST", DEPLOYMENTS, create_body("t2i-v2", workflow_id="wf-2")), ("DELETE", f"{DEPLOYMENTS}/d1", None),
         LIST],
    )
    assert outcomes(report) == [("t2i-v2", "replace", "applied")]
    assert report.changes[0].id == "new-1"
    assert not report.failed


def test_replace_destroy_before_create_deletes_then_posts() -> None:
    fake = FakeDeploymentsApi([have("d1", "t2i")])
    plan = plan_for([want("t2i", workflow_id="wf-2")], fake, allow_replace=True)
    assert [c.replace_strategy for c in plan.pending] == [ReplaceStrategy.DESTROY_BEFORE_CREATE]
    report = run(plan, fake)
    assert_calls(
        fake.calls,
        [("DELETE", f"{DEPLOYMENTS}/d1", None), ("POST", DEPLOYMENTS, create_body("t2i", workflow_id="wf-2")), LIST],
    )
    assert not report.failed


def test_a_replace_plan_without_allow_replace_is_refused_before_any_call() -> None:
    fake = FakeDeploymentsApi([have("d1", "t2i"), have("d2", "b")])
    plan = plan_for([want("t2i", workflow_id="wf-2"), want("b", queue_size=9), want("c")], fake)
    with pytest.raises(ReconcilerError, match="refusing without --allow-replace"):
        run(plan, fake)
    assert_calls(fake.calls, [])


# -- failures ----------------------------------------------------------------------------------


def test_a_failed_change_does_not_stop_the_independent_ones() -> None:
    fake = FakeDeploymentsApi([have("d1", "b-upd"), have("d2", "c-del")], fail={("POST", "a-new"): 422})
    plan = plan_for([want("a-new"), want("b-upd", queue_size=3), want("c-del", state="absent")], fake)
    report = run(plan, fake)
    assert_calls(
        fake.calls,
        [
            ("POST", DEPLOYMENTS, create_body("a-new")),
            ("PATCH", f"{DEPLOYMENTS}/d1", {"name": "b-upd", "queue_size": 3}),
            ("DELETE", f"{DEPLOYMENTS}/d2", None),
            LIST,
        ],
    )
    assert outcomes(report) == [("a-new", "create", "failed"), ("b-upd", "update", "applied"),
                                ("c-del", "delete", "applied")]
    assert "injected 422" in report.changes[0].message
    assert report.failed
    assert report.counts() == {"applied": 2, "failed": 1, "skipped": 0}
    assert report.readback_problems == []


def test_fail_fast_skips_everything_after_the_first_failure() -> None:
    fake = FakeDeploymentsApi([have("d1", "b-upd"), have("d2", "c-del")], fail={("PATCH", "b-upd"): 422})
    plan = plan_for([want("a-new"), want("b-upd", queue_size=3), want("c-del", state="absent")], fake)
    report = run(plan, fake, fail_fast=True)
    assert_calls(
        fake.calls,
        [
            ("POST", DEPLOYMENTS, create_body("a-new")),
            ("PATCH", f"{DEPLOYMENTS}/d1", {"name": "b-upd", "queue_size": 3}),
            LIST,  # the read-back still checks what was applied
        ],
    )
    assert outcomes(report) == [("a-new", "create", "applied"), ("b-upd", "update", "failed"),
                                ("c-del", "delete", "skipped")]
    assert "fail-fast" in report.changes[2].message
    assert "d2" in fake.records


def test_fail_fast_with_the_first_change_failing_makes_no_further_call() -> None:
    fake = FakeDeploymentsApi(fail={("POST", "a"): 400})
    plan = plan_for([want("a"), want("b")], fake)
    report = run(plan, fake, fail_fast=True)
    assert_calls(fake.calls, [("POST", DEPLOYMENTS, create_body("a"))])  # nothing applied: no read-back
    assert outcomes(report) == [("a", "create", "failed"), ("b", "create", "skipped")]


def test_a_patch_the_api_silently_ignores_is_a_read_back_failure() -> None:
    fake = FakeDeploymentsApi([have("d1", "t2i")], ignore_patch_fields={"queue_size"})
    report = run(plan_for([want("t2i", queue_size=7, max_instances=2)], fake), fake)
    assert_calls(
        fake.calls,
        [("PATCH", f"{DEPLOYMENTS}/d1", {"name": "t2i", "queue_size": 7, "max_instances": 2}), LIST],
    )
    assert outcomes(report) == [("t2i", "update", "applied")]
    assert report.readback_problems == ["t2i: queue_size is 1 after apply, expected the planned value"]
    assert report.failed


# -- secrets -----------------------------------------------------------------------------------


def test_sensitive_fields_are_sent_from_secrets_not_the_plan() -> None:
    fake = FakeDeploymentsApi([have("d1", "upd")])
    plan = plan_for([want("new", workflow_version="v-secret", sensitive={"workflow_version"}),
                     want("upd", workflow_version="v-hidden", sensitive={"workflow_version"})], fake)
    assert "v-secret" not in plan.to_json() and "v-hidden" not in plan.to_json()
    secrets = {"new": {"workflow_version": "v-secret"}, "upd": {"workflow_version": "v-hidden"}}
    report = run(plan, fake, secrets=secrets)
    assert_calls(
        fake.calls,
        [
            ("POST", DEPLOYMENTS, create_body("new", workflow_version="v-secret")),
            ("PATCH", f"{DEPLOYMENTS}/d1", {"name": "upd", "workflow_version": "v-hidden"}),
            LIST,
        ],
    )
    assert not report.failed


def test_a_missing_secret_fails_that_change_without_calling_the_api() -> None:
    fake = FakeDeploymentsApi()
    plan = plan_for([want("a", workflow_version="v-secret", sensitive={"workflow_version"}), want("b")], fake)
    report = run(plan, fake, secrets={})
    assert_calls(fake.calls, [("POST", DEPLOYMENTS, create_body("b")), LIST])
    assert outcomes(report) == [("a", "create", "failed"), ("b", "create", "applied")]
    assert "sensitive value of workflow_version for 'a' is not available" in report.changes[0].message


# -- display-only fields (STYLE C.2) -----------------------------------------------------------


def _mixed(fake: FakeDeploymentsApi) -> Plan:
    return plan_for(
        [
            want("create-me", min_instances=2, max_instances=3, is_enabled=False),
            want("update-me", hardware="ADA_80_PLUS", min_instances=1),
            want("renamed", previous_names=("rename-me",)),
            want("replace-me", workflow_id="wf-9"),
            want("delete-me", state="absent"),
            want("keep-me"),
            want("gone", state="absent"),
        ],
        fake,
        allow_replace=True,
        prune=PruneSettings(enabled=True, match=["prune-*"]),
    )


def _account() -> list[dict[str, Any]]:
    return [have("d1", "update-me"), have("d2", "rename-me"), have("d3", "replace-me"), have("d4", "delete-me"),
            have("d5", "keep-me"), have("d6", "prune-me")]


def test_apply_makes_the_same_calls_with_display_only_fields_removed() -> None:
    full_fake = FakeDeploymentsApi(_account())
    plan = _mixed(full_fake)
    assert {c.action for c in plan.changes} == set(Action)
    assert any(c.warnings for c in plan.changes) and all(c.reason for c in plan.changes)
    assert any(c.monthly_cost_after or c.monthly_cost_before for c in plan.changes)
    blank = {"reason": "", "warnings": [], "source": None, "monthly_cost_before": 0.0, "monthly_cost_after": 0.0}
    stripped = plan.model_copy(
        update={"changes": [c.model_copy(update=blank) for c in plan.changes], "warnings": [], "targets": []}
    )
    assert stripped != plan

    full_report = run(plan, full_fake)
    stripped_fake = FakeDeploymentsApi(_account())
    stripped_report = run(stripped, stripped_fake)

    # create POST+PATCH, update PATCH, rename PATCH, replace DELETE+POST, delete DELETE, prune DELETE
    assert len(full_fake.mutating_calls) == 8
    assert_calls(stripped_fake.calls, full_fake.calls)
    assert stripped_report == full_report
    assert not full_report.failed


# -- what apply sends is what the plan shows ------------------------------------------------------


def test_apply_sends_the_diff_not_a_disagreeing_after() -> None:
    fake = FakeDeploymentsApi([have("d1", "a", max_instances=4)])
    plan = plan_for([want("a", max_instances=5)], fake)
    change = plan.changes[0]
    tampered = change.model_copy(update={"after": {**(change.after or {}), "max_instances": 30}})
    fake.calls.clear()
    run(plan.model_copy(update={"changes": [tampered]}), fake)
    assert fake.records["d1"]["max_instances"] == 5
    assert fake.calls[0] == ("PATCH", f"{DEPLOYMENTS}/d1", {"name": "a", "max_instances": 5})


def test_replace_keeps_the_live_value_of_ignored_fields_as_the_plan_shows() -> None:
    fake = FakeDeploymentsApi([have("d1", "a", queue_size=7)])
    plan = plan_for([want("a", workflow_id="wf-2", queue_size=2, ignore_changes=frozenset({"queue_size"}))],
                    fake, allow_replace=True)
    change = plan.changes[0]
    assert change.action is Action.REPLACE
    assert (change.after or {})["queue_size"] == 7 == change.planned_values()["queue_size"]
    run(plan, fake)
    assert [r["queue_size"] for r in fake.records.values()] == [7]
