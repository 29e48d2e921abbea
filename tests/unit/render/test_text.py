"""Terraform-like text: exact summary sentences, block headers, values, colour, apply lines."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.engine.plan import (
    Action,
    FieldChange,
    Plan,
    ReplaceStrategy,
    ResourceChange,
    UnmanagedDeployment,
)
from reconciler.engine.report import ApplyReport, ChangeOutcome, Outcome
from reconciler.render.apply import render_apply_text
from reconciler.render.plan import render_plan_text


def change(name: str, action: Action, **kwargs: Any) -> ResourceChange:
    ident = None if action is Action.CREATE else f"id-{name}"
    return ResourceChange(name=name, id=ident, action=action, **kwargs)


def lines_of(text: str) -> list[str]:
    return text.splitlines()


def test_summary_sentence_counts_each_action() -> None:
    plan = Plan(changes=[change("a", Action.CREATE), change("b", Action.UPDATE), change("c", Action.UPDATE),
                         change("d", Action.DELETE), change("e", Action.NOOP)])
    out = lines_of(render_plan_text(plan))
    assert out[-2:] == ["1 deployment unchanged.", "Plan: 1 to create, 2 to update, 0 to replace, 1 to delete."]


def test_empty_plan_says_no_changes_and_nothing_else() -> None:
    assert render_plan_text(Plan()) == "No changes. Live deployments match the manifests.\n"


def test_noops_are_counted_not_listed() -> None:
    plan = Plan(changes=[change("keep-1", Action.NOOP), change("keep-2", Action.NOOP)])
    out = render_plan_text(plan)
    assert "keep-1" not in out and "keep-2" not in out
    assert lines_of(out) == ["2 deployments unchanged.", "No changes. Live deployments match the manifests."]


@pytest.mark.parametrize(
    ("action", "strategy", "header"),
    [
        (Action.CREATE, None, "  + web will be created"),
        (Action.UPDATE, None, "  ~ web (id-web) will be updated in place"),
        (Action.DELETE, None, "  - web (id-web) will be deleted"),
        (Action.REPLACE, ReplaceStrategy.DESTROY_BEFORE_CREATE,
         "-/+ web (id-web) must be replaced (destroy before create)"),
        (Action.REPLACE, ReplaceStrategy.CREATE_BEFORE_DESTROY,
         "+/- web (id-web) must be replaced (create before destroy)"),
    ],
)
def test_block_header_names_the_action(action: Action, strategy: ReplaceStrategy | None, header: str) -> None:
    out = lines_of(render_plan_text(Plan(changes=[change("web", action, replace_strategy=strategy)])))
    assert out[:3] == ["ComfyOps will perform the following actions:", "", header]


def test_field_lines_quote_strings_and_show_renames() -> None:
    update = change("new", Action.UPDATE, reason="renamed from 'old'", source="m/new.yaml:3", diff=[
        FieldChange(field="name", before="old", after="new"),
        FieldChange(field="min_instances", before=0, after=1),
        FieldChange(field="is_enabled", before=None, after=False),
        FieldChange(field="labels", before={"b": 1, "a": "x"}, after=["x"]),
    ])
    out = lines_of(render_plan_text(Plan(changes=[update])))
    assert out[3:8] == [
        "      # m/new.yaml:3: renamed from 'old'",
        '      ~ name: "old" -> "new"',
        "      ~ min_instances: 0 -> 1",
        "      ~ is_enabled: null -> false",
        '      ~ labels: {"a": "x", "b": 1} -> ["x"]',
    ]


def test_create_shows_plus_fields_and_delete_shows_minus_fields() -> None:
    create = change("a", Action.CREATE, diff=[FieldChange(field="hardware", after="AMPERE_48")])
    delete = change("b", Action.DELETE, before={"name": "b", "min_instances": 2})
    out = render_plan_text(Plan(changes=[create, delete]))
    assert '      + hardware: "AMPERE_48"\n' in out
    assert "      - min_instances: 2\n" in out
    assert "- name:" not in out


def test_a_live_value_that_holds_a_secret_is_masked_too() -> None:
    secret = "hunter2-very-secret"
    update = change("a", Action.UPDATE, sensitive_fields=["workflow_version"], reason=f"was {secret}",
                    before_sensitive=["workflow_version"],
                    diff=[FieldChange(field="workflow_version", before=secret, after=None, sensitive=True)],
                    warnings=[f"{secret} is not a saved version"])
    out = render_plan_text(Plan(changes=[update], warnings=[f"plan-wide {secret}"]))
    assert "      ~ workflow_version: (sensitive value) -> (sensitive value)\n" in out
    assert "      ! (sensitive value) is not a saved version\n" in out
    assert secret not in out


def test_warnings_costs_and_unmanaged_are_shown() -> None:
    update = change("a", Action.UPDATE, warnings=["rolling restart"], monthly_cost_after=1825.0)
    delete = change("b", Action.DELETE, monthly_cost_before=365.5)
    plan = Plan(changes=[update, delete], warnings=["targeted plan"],
                unmanaged=[UnmanagedDeployment(name="legacy", id="dep-9")])
    out = render_plan_text(plan)
    assert "      ! rolling restart\n      cost: +$1,825.00/month\n" in out
    assert "      cost: -$365.50/month\n" in out
    assert ("1 unmanaged deployment (not managed by these manifests; left alone); --show-unmanaged lists it.\n"
            in out)
    assert "legacy" not in out
    listed = render_plan_text(plan, show_unmanaged=True)
    assert ("Unmanaged deployments (not managed by these manifests; left alone):\n"
            "  ? legacy (dep-9)\n") in listed
    assert "Warnings:\n  ! targeted plan\n" in out
    assert lines_of(out)[-1] == "Monthly cost of warm instances: +$1,459.50"


def test_no_cost_lines_when_cost_does_not_change() -> None:
    out = render_plan_text(Plan(changes=[change("a", Action.UPDATE, monthly_cost_before=10, monthly_cost_after=10)]))
    assert "cost" not in out.lower()


def test_colour_only_when_asked() -> None:
    plan = Plan(changes=[change("a", Action.CREATE), change("b", Action.UPDATE), change("c", Action.DELETE),
                         change("d", Action.REPLACE)])
    assert "\x1b[" not in render_plan_text(plan)
    coloured = render_plan_text(plan, color=True)
    for code, symbol in (("32", "  +"), ("33", "  ~"), ("31", "  -"), ("35", "-/+")):
        assert f"\x1b[{code}m{symbol}\x1b[0m" in coloured
    assert "\x1b[1mComfyOps will perform the following actions:\x1b[0m" in coloured


def report(*outcomes: ChangeOutcome, **kwargs: Any) -> ApplyReport:
    return ApplyReport(changes=list(outcomes), **kwargs)


def test_apply_lines_and_final_sentence() -> None:
    out = render_apply_text(report(
        ChangeOutcome(name="media-foo", action=Action.UPDATE, outcome=Outcome.APPLIED, id="dep-1"),
        ChangeOutcome(name="media-bar", action=Action.CREATE, outcome=Outcome.FAILED, message="quota exceeded"),
        ChangeOutcome(name="media-baz", action=Action.DELETE, outcome=Outcome.SKIPPED, id="dep-3",
                      message="an earlier change failed", rollback="nothing to roll back"),
    ))
    assert lines_of(out) == [
        "applied  ~ media-foo (dep-1)",
        "failed   + media-bar: quota exceeded",
        "skipped  - media-baz (dep-3): an earlier change failed",
        "      rollback: nothing to roll back",
        "",
        "Apply failed: 1 applied, 1 failed, 1 skipped.",
    ]


def test_apply_complete_when_nothing_failed() -> None:
    out = render_apply_text(report(ChangeOutcome(name="a", action=Action.CREATE, outcome=Outcome.APPLIED, id="n")))
    assert lines_of(out)[-1] == "Apply complete: 1 applied, 0 failed, 0 skipped."
    assert render_apply_text(report()) == "Apply complete: 0 applied, 0 failed, 0 skipped.\n"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"readback_problems": ["a: min_instances is 0 live, 1 desired"]},
         "  ! a: min_instances is 0 live, 1 desired"),
        ({"interrupted": True}, "Apply was interrupted; changes not listed above were not attempted."),
    ],
)
def test_readback_problems_and_interruption_fail_the_apply(kwargs: dict[str, Any], expected: str) -> None:
    out = lines_of(render_apply_text(report(
        ChangeOutcome(name="a", action=Action.UPDATE, outcome=Outcome.APPLIED, id="x"), **kwargs)))
    assert expected in out
    assert out[-1] == "Apply failed: 1 applied, 0 failed, 0 skipped."


def test_apply_colour_only_when_asked() -> None:
    failed = report(ChangeOutcome(name="a", action=Action.CREATE, outcome=Outcome.FAILED, message="boom"))
    assert "\x1b[" not in render_apply_text(failed)
    assert "\x1b[31mApply failed: 0 applied, 1 failed, 0 skipped.\x1b[0m" in render_apply_text(failed, color=True)


def test_a_live_value_that_is_no_secret_is_shown_beside_a_masked_desired_one() -> None:
    update = change("a", Action.UPDATE, sensitive_fields=["workflow_version"],
                    diff=[FieldChange(field="workflow_version", before="v1", after=None, sensitive=True)])
    delete = change("b", Action.DELETE, before={"name": "b", "workflow_version": "v3"})
    out = render_plan_text(Plan(changes=[update, delete]))
    assert '      ~ workflow_version: "v1" -> (sensitive value)\n' in out
    assert '      - workflow_version: "v3"\n' in out


def test_fields_listed_as_sensitive_are_masked_even_without_the_flag() -> None:
    secret = "wf-secret-version-77"
    update = change("a", Action.UPDATE, sensitive_fields=["workflow_version"], before_sensitive=["workflow_version"],
                    diff=[FieldChange(field="workflow_version", before=secret, after="also-secret-88")])
    delete = change("b", Action.DELETE, before_sensitive=["workflow_version"],
                    before={"name": "b", "workflow_version": secret})
    out = render_plan_text(Plan(changes=[update, delete]))
    assert "      ~ workflow_version: (sensitive value) -> (sensitive value)\n" in out
    assert "      - workflow_version: (sensitive value)\n" in out
    assert secret not in out and "also-secret-88" not in out
