"""The one entry point the CLI uses: dispatch on the format name, refuse unknown formats."""

from __future__ import annotations

import pytest

from reconciler import render
from reconciler.engine.plan import Action, Plan, ResourceChange
from reconciler.engine.report import ApplyReport, ChangeOutcome, Outcome
from reconciler.render import apply, plan

PLAN = Plan(changes=[ResourceChange(name="a", action=Action.CREATE, monthly_cost_after=3.0)])
REPORT = ApplyReport(changes=[ChangeOutcome(name="a", action=Action.CREATE, outcome=Outcome.APPLIED, id="d")])


def test_plan_dispatch_matches_the_format_modules() -> None:
    assert render.render_plan(PLAN, "text") == plan.render_plan_text(PLAN)
    assert render.render_plan(PLAN, "text", color=True) == plan.render_plan_text(PLAN, color=True)
    assert render.render_plan(PLAN, "json") == plan.render_plan_json(PLAN) == PLAN.to_json()
    assert render.render_plan(PLAN, "markdown") == plan.render_plan_markdown(PLAN)


def test_apply_dispatch_matches_the_format_modules() -> None:
    assert render.render_apply(REPORT, "text", color=True) == apply.render_apply_text(REPORT, color=True)
    assert render.render_apply(REPORT, "json") == apply.render_apply_json(REPORT) == REPORT.to_json()
    assert render.render_apply(REPORT, "markdown") == apply.render_apply_markdown(REPORT)


@pytest.mark.parametrize("fmt", ["json", "markdown"])
def test_colour_never_reaches_machine_or_markdown_output(fmt: str) -> None:
    assert render.render_plan(PLAN, fmt, color=True) == render.render_plan(PLAN, fmt)
    assert "\x1b[" not in render.render_apply(REPORT, fmt, color=True)


@pytest.mark.parametrize("fmt", ["yaml", "TEXT", ""])
def test_unknown_format_is_refused(fmt: str) -> None:
    with pytest.raises(ValueError, match=r"unknown output format .*expected one of: text, json, markdown"):
        render.render_plan(PLAN, fmt)
    with pytest.raises(ValueError, match="unknown output format"):
        render.render_apply(REPORT, fmt)
