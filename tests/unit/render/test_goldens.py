"""Golden files for every renderer over hand-built plans and apply reports.

Regenerate with ``UPDATE_GOLDENS=1 .venv/bin/pytest tests/unit/render`` and review the diff in the
PR. The same samples drive the cross-cutting checks: determinism, no mutation of the input, the
JSON round trip, and that a known secret never reaches text or Markdown.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler import render
from reconciler.engine.plan import (
    Action,
    FieldChange,
    Plan,
    ReplaceStrategy,
    ResourceChange,
    UnmanagedDeployment,
)
from reconciler.engine.report import ApplyReport, ChangeOutcome, Outcome
from support import golden

GOLDEN = Path(__file__).parent / "golden"
SECRET = "sk-live-TOPSECRET-4242"


def assert_golden(name: str, actual: str) -> None:
    """Compare ``actual`` with ``golden/<name>`` (:func:`support.golden.assert_golden`)."""
    golden.assert_golden(GOLDEN / name, actual)


def mixed_plan() -> Plan:
    """Every action and replace strategy, a rename, secrets, warnings, costs, unmanaged deployments."""
    base = {"workflow_id": "wf-1", "workflow_version": "v1", "hardware": "AMPERE_48", "min_instances": 0}
    return Plan(
        comfyops_version="0.1.0",
        endpoint="RunComfy API at https://api.runcomfy.net",
        changes=[
            ResourceChange(
                name="media-create", action=Action.CREATE, reason="not in RunComfy", source="deploy/create.yaml:1",
                after={"name": "media-create", **base, "min_instances": 1, "workflow_version": None},
                sensitive_fields=["workflow_version"],
                diff=[
                    FieldChange(field="workflow_id", after="wf-1"),
                    FieldChange(field="workflow_version", after=None, sensitive=True),
                    FieldChange(field="hardware", after="AMPERE_48"),
                    FieldChange(field="min_instances", after=1),
                ],
                warnings=["min_instances: 1 keeps 1 AMPERE_48 instance warm and billed while idle"],
                monthly_cost_after=1825.0,
            ),
            ResourceChange(
                name="media-delete", id="dep-del", action=Action.DELETE, reason="state: absent",
                source="deploy/delete.yaml:3", before={"name": "media-delete", **base, "is_enabled": True},
                warnings=["deleting 'media-delete' is permanent"], monthly_cost_before=365.0,
            ),
            ResourceChange(name="media-noop-a", id="dep-n1", action=Action.NOOP, reason="in sync"),
            ResourceChange(name="media-noop-b", id="dep-n2", action=Action.NOOP, reason="in sync"),
            ResourceChange(
                name="media-renamed", id="dep-ren", action=Action.UPDATE, reason="renamed from 'media-old'",
                source="deploy/renamed.yaml:2",
                diff=[FieldChange(field="name", before="media-old", after="media-renamed"),
                      FieldChange(field="max_instances", before=1, after=3)],
            ),
            ResourceChange(
                name="media-replace-cbd", id="dep-cbd", action=Action.REPLACE,
                replace_strategy=ReplaceStrategy.CREATE_BEFORE_DESTROY,
                reason="workflow_id changed (it cannot be updated in place)",
                diff=[FieldChange(field="workflow_id", before="wf-1", after="wf-2")],
                warnings=["replace: the new deployment is created first, then the old one is deleted"],
            ),
            ResourceChange(
                name="media-replace-dbc", id="dep-dbc", action=Action.REPLACE,
                replace_strategy=ReplaceStrategy.DESTROY_BEFORE_CREATE, source="deploy/dbc.yaml:7",
                reason="workflow_id changed (it cannot be updated in place)",
                diff=[FieldChange(field="workflow_id", before="wf-1", after="wf-3")],
                warnings=["replace: the old deployment is deleted first"],
            ),
            ResourceChange(
                name="media-secret", id="dep-sec", action=Action.UPDATE, reason="settings differ",
                source="deploy/secret.yaml:4", sensitive_fields=["workflow_version"],
                before_sensitive=["workflow_version"],
                before={"name": "media-secret", **base, "workflow_version": SECRET},
                after={"name": "media-secret", **base, "workflow_version": None},
                diff=[FieldChange(field="workflow_version", before=SECRET, after=None, sensitive=True)],
                warnings=[f"workflow_version {SECRET!r} is not among the workflow's saved versions"],
            ),
            ResourceChange(
                name="media-update", id="dep-upd", action=Action.UPDATE, reason="settings differ",
                source="deploy/update.yaml:1",
                diff=[FieldChange(field="min_instances", before=0, after=1),
                      FieldChange(field="is_enabled", before=False, after=True)],
                warnings=["min_instances: 1 keeps 1 AMPERE_48 instance warm and billed while idle"],
                monthly_cost_before=0.0, monthly_cost_after=1825.0,
            ),
        ],
        unmanaged=[UnmanagedDeployment(name="legacy-a", id="dep-l1"),
                   UnmanagedDeployment(name="legacy-b", id="dep-l2")],
        warnings=["this plan replaces deployments; apply refuses it without --allow-replace"],
        manifest_fingerprint="sha256:abc",
        live_fingerprints={"dep-upd": "fp-upd"},
        manifest_files=["deploy"],
    )


def quiet_plan() -> Plan:
    """Nothing to do: two deployments in sync and one unmanaged."""
    return Plan(
        comfyops_version="0.1.0",
        endpoint="emulator (state: .comfyops/emulator)",
        changes=[ResourceChange(name="media-a", id="dep-a", action=Action.NOOP, reason="in sync"),
                 ResourceChange(name="media-b", id="dep-b", action=Action.NOOP, reason="in sync")],
        unmanaged=[UnmanagedDeployment(name="legacy-a", id="dep-l1")],
    )


def policy_plan() -> Plan:
    """A prod plan that policies deny (with an object message) and warn about; its messages carry markup."""
    from reconciler.policy.report import PolicyMessage, PolicyReport

    return mixed_plan().model_copy(update={
        "environment": "prod",
        "policy": PolicyReport(
            files=["policies/cost.rego", "policies/prod.rego"],
            namespaces=["main", "team.cost"],
            denials=[
                PolicyMessage(namespace="main", rule="deny", message="media-create: HOPPER_141 is not allowed in prod"),
                PolicyMessage(namespace="team.cost", rule="violation", message="cost <b>$9,000</b> | over cap",
                              details={"limit": 2000}),
            ],
            warnings=[PolicyMessage(namespace="main", rule="warn", message=f"media-update uses {SECRET}")],
        ),
    })


def failed_report() -> ApplyReport:
    """Applied, failed (multi-line message), skipped, a rollback, read-back problems."""
    return ApplyReport(
        changes=[
            ChangeOutcome(name="media-update", action=Action.UPDATE, outcome=Outcome.APPLIED, id="dep-upd",
                          rollback="smoke test failed; min_instances restored to 0"),
            ChangeOutcome(name="media-create", action=Action.CREATE, outcome=Outcome.FAILED,
                          message="422 Unprocessable: hardware | quota `exceeded`\nretry later"),
            ChangeOutcome(name="media-delete", action=Action.DELETE, outcome=Outcome.SKIPPED, id="dep-del",
                          message="an earlier change failed"),
        ],
        readback_problems=["media-update: min_instances is 0 live, 1 desired"],
    )


def clean_report() -> ApplyReport:
    """Everything applied."""
    return ApplyReport(changes=[
        ChangeOutcome(name="media-create", action=Action.CREATE, outcome=Outcome.APPLIED, id="dep-new"),
        ChangeOutcome(name="media-replace", action=Action.REPLACE, outcome=Outcome.APPLIED, id="dep-rep2"),
    ])


PLANS: dict[str, Callable[[], Plan]] = {"mixed": mixed_plan, "quiet": quiet_plan, "empty": Plan, "policy": policy_plan}
REPORTS: dict[str, Callable[[], ApplyReport]] = {"failed": failed_report, "clean": clean_report}
FORMATS = [("text", "txt", False), ("text", "color.txt", True), ("json", "json", False), ("markdown", "md", False)]


@pytest.mark.parametrize(("fmt", "ext", "color"), FORMATS)
@pytest.mark.parametrize("case", sorted(PLANS))
def test_plan_matches_golden(case: str, fmt: str, ext: str, color: bool) -> None:
    assert_golden(f"plan_{case}.{ext}", render.render_plan(PLANS[case](), fmt, color=color))


@pytest.mark.parametrize(("fmt", "ext", "color"), FORMATS)
@pytest.mark.parametrize("case", sorted(REPORTS))
def test_apply_matches_golden(case: str, fmt: str, ext: str, color: bool) -> None:
    assert_golden(f"apply_{case}.{ext}", render.render_apply(REPORTS[case](), fmt, color=color))


def test_golden_helper_reports_a_difference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UPDATE_GOLDENS", raising=False)
    with pytest.raises(pytest.fail.Exception, match="differs from its golden file"):
        assert_golden("plan_empty.txt", "something else\n")


@pytest.mark.parametrize("case", sorted(PLANS))
def test_plan_json_round_trips(case: str) -> None:
    plan = PLANS[case]()
    assert Plan.from_dict(json.loads(render.render_plan(plan, "json"))) == plan


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_secret_is_masked_everywhere_humans_read(fmt: str) -> None:
    out = render.render_plan(mixed_plan(), fmt)
    assert "(sensitive value)" in out
    assert SECRET not in out
    assert "TOPSECRET" not in out


@pytest.mark.parametrize(("fmt", "color"), [("text", False), ("text", True), ("json", False), ("markdown", False)])
def test_rendering_is_deterministic_and_leaves_the_input_alone(fmt: str, color: bool) -> None:
    plan, report = mixed_plan(), failed_report()
    plan_before: dict[str, Any] = plan.model_dump()
    report_before: dict[str, Any] = report.model_dump()
    first = render.render_plan(plan, fmt, color=color), render.render_apply(report, fmt, color=color)
    second = render.render_plan(plan, fmt, color=color), render.render_apply(report, fmt, color=color)
    assert first == second
    assert first == (render.render_plan(mixed_plan(), fmt, color=color),
                     render.render_apply(failed_report(), fmt, color=color))
    assert plan.model_dump() == plan_before == mixed_plan().model_dump()
    assert report.model_dump() == report_before
