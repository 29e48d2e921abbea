"""Markdown PR comments: marker, summary first, banners, escaping, and the size budget."""

from __future__ import annotations

import re
from typing import Any

import pytest

from reconciler.engine.plan import Action, FieldChange, Plan, ReplaceStrategy, ResourceChange
from reconciler.engine.report import ApplyReport, ChangeOutcome, Outcome
from reconciler.render.apply import render_apply_markdown
from reconciler.render.plan import render_plan_markdown

SUMMARY_2000 = "**Plan: 0 to create, 1000 to update, 500 to replace, 500 to delete.**"


def change(name: str, action: Action, **kwargs: Any) -> ResourceChange:
    ident = None if action is Action.CREATE else f"id-{name}"
    return ResourceChange(name=name, id=ident, action=action, **kwargs)


def big_plan() -> Plan:
    """2,000 changes, each with a few field lines and a warning."""
    actions = [Action.UPDATE, Action.UPDATE, Action.REPLACE, Action.DELETE]
    changes = [
        change(f"media-{i:04d}", actions[i % 4], reason="settings differ", source=f"deploy/m{i}.yaml:1",
               replace_strategy=ReplaceStrategy.CREATE_BEFORE_DESTROY if i % 4 == 2 else None,
               before={"name": f"media-{i:04d}", "min_instances": 0, "hardware": "AMPERE_48"},
               diff=[FieldChange(field="min_instances", before=0, after=1),
                     FieldChange(field="max_instances", before=1, after=4)],
               warnings=["rolling restart; in-flight requests finish on the old instances"])
        for i in range(2000)
    ]
    return Plan(changes=changes, warnings=["targeted plan: changes to other deployments may be pending"])


def test_marker_is_the_first_line_and_title_is_used() -> None:
    out = render_plan_markdown(Plan(changes=[change("a", Action.CREATE)]), title="Plan for `prod`")
    assert out.splitlines()[0] == "<!-- comfyops:plan -->"
    assert "\n## Plan for `prod`\n" in out
    assert render_apply_markdown(ApplyReport()).splitlines()[0] == "<!-- comfyops:apply -->"


def test_summary_table_comes_before_any_details() -> None:
    plan = Plan(changes=[change("a", Action.CREATE), change("b", Action.UPDATE, monthly_cost_after=12.5)])
    out = render_plan_markdown(plan)
    table = "| `+` create | 1 |\n| `~` update | 1 |\n| `-/+` replace | 0 |\n| `-` delete | 0 |\n| unchanged | 0 |\n"
    assert table in out
    assert "| monthly cost of warm instances | +$12.50 |" in out
    assert out.index("| Action | Deployments |") < out.index("<details>")
    assert "**Plan: 1 to create, 1 to update, 0 to replace, 0 to delete.**" in out
    assert "[!CAUTION]" not in out


def test_caution_banner_names_every_delete_and_replace() -> None:
    plan = Plan(changes=[change("gone", Action.DELETE), change("new", Action.CREATE),
                         change("swap", Action.REPLACE, replace_strategy=ReplaceStrategy.DESTROY_BEFORE_CREATE)])
    out = render_plan_markdown(plan)
    assert ("> [!CAUTION]\n> This plan deletes or replaces deployments:\n"
            "> - **delete** `gone` (`id-gone`)\n"
            "> - **replace** `swap` (`id-swap`), destroy before create\n") in out
    assert "`new`" not in out.split("> [!CAUTION]")[1].split("\n\n")[0]


def test_each_change_gets_a_details_block_with_a_diff_fence() -> None:
    update = change("a", Action.UPDATE, reason="settings differ", warnings=["restart"],
                    diff=[FieldChange(field="min_instances", before=0, after=1)])
    out = render_plan_markdown(Plan(changes=[update, change("z", Action.NOOP)]))
    assert ("<details><summary><code>~</code> <b>a</b> (<code>id-a</code>) will be updated in place</summary>\n\n"
            "```diff\n# settings differ\n~ min_instances: 0 -> 1\n! restart\n```\n\n</details>") in out
    assert out.count("<details>") == 1
    assert out.endswith("\n\n1 deployment unchanged.\n")


def test_no_changes_comment_is_short() -> None:
    assert render_plan_markdown(Plan()) == (
        "<!-- comfyops:plan -->\n\n## ComfyOps plan\n\n**No changes. Live deployments match the manifests.**\n"
    )


def test_untrusted_text_cannot_break_out_of_its_context() -> None:
    nasty = change("<b>x</b>", Action.UPDATE, warnings=["<!-- comfyops:plan -->"],
                   diff=[FieldChange(field="workflow_id", before="a```b", after="c")])
    out = render_plan_markdown(Plan(changes=[nasty], warnings=["</details> & <img src=x>"]))
    assert "<b>&lt;b&gt;x&lt;/b&gt;</b>" in out
    assert '````diff\n~ workflow_id: "a```b" -> "c"\n! <!-- comfyops:plan -->\n````\n' in out
    assert "> - \\</details\\> \\& \\<img src=x\\>" in out
    assert out.count("<!-- comfyops:plan -->") == 2 and out.startswith("<!-- comfyops:plan -->\n")


def test_table_cells_escape_pipes_and_backticks() -> None:
    report = ApplyReport(changes=[ChangeOutcome(name="we|rd`name", action=Action.CREATE, outcome=Outcome.FAILED,
                                                message="bad | value `x`\nsecond line")])
    row = next(line for line in render_apply_markdown(report).splitlines() if line.startswith("| failed"))
    assert row == "| failed | `+` create | ``we\\|rd`name`` |  | bad \\| value \\`x\\`\\\\nsecond line |"
    assert len(re.findall(r"(?<!\\)\|", row)) == 6


def test_sensitive_values_are_always_masked() -> None:
    secret = "sk-live-never-show-me"
    update = change("a", Action.UPDATE, sensitive_fields=["workflow_version"], before_sensitive=["workflow_version"],
                    diff=[FieldChange(field="workflow_version", before=secret, after=None, sensitive=True)])
    out = render_plan_markdown(Plan(changes=[update]))
    assert "~ workflow_version: (sensitive value) -> (sensitive value)" in out
    assert secret not in out


def test_big_plan_is_truncated_to_the_budget_keeping_the_summary() -> None:
    plan = big_plan()
    out = render_plan_markdown(plan, max_chars=60_000)
    assert len(out) <= 60_000
    assert out.startswith("<!-- comfyops:plan -->\n\n## ComfyOps plan\n\n| Action | Deployments |")
    assert SUMMARY_2000 in out
    assert "| `~` update | 1000 |" in out
    assert "> [!WARNING]\n> - targeted plan: changes to other deployments may be pending" in out
    assert "> - …and 950 more" in out
    kept = out.count("<details>")
    assert 0 < kept < 2000
    assert out.count("</details>") == kept
    assert (f"_Details of {2000 - kept:,} of 2,000 changed deployments were cut to fit the comment size limit; "
            "run `comfyops show` on the plan artifact for the full plan._") in out
    assert render_plan_markdown(plan, max_chars=60_000) == out


def test_truncation_uses_the_budget_well() -> None:
    out = render_plan_markdown(big_plan(), max_chars=20_000)
    assert 19_000 < len(out) <= 20_000


def test_untruncated_plan_has_no_cut_notice() -> None:
    out = render_plan_markdown(big_plan(), max_chars=10_000_000)
    assert out.count("<details>") == 2000
    assert "were cut" not in out


@pytest.mark.parametrize("max_chars", [0, 50, 300, 1_000, 3_000])
def test_tiny_budgets_are_still_respected(max_chars: int) -> None:
    assert len(render_plan_markdown(big_plan(), max_chars=max_chars)) <= max_chars


def test_apply_markdown_table_and_caution() -> None:
    report = ApplyReport(
        changes=[ChangeOutcome(name="a", action=Action.UPDATE, outcome=Outcome.APPLIED, id="dep-1",
                               rollback="restored min_instances")],
        readback_problems=["a: min_instances is 0 live, 1 desired"], interrupted=True,
    )
    out = render_apply_markdown(report)
    assert "**Apply failed: 1 applied, 0 failed, 0 skipped.**" in out
    assert "> [!CAUTION]\n> Apply was interrupted" in out
    assert "> - a: min\\_instances is 0 live, 1 desired" in out
    assert "| applied | `~` update | `a` | `dep-1` | rollback: restored min\\_instances |" in out


def test_apply_markdown_drops_rows_to_fit() -> None:
    rows = [ChangeOutcome(name=f"media-{i}", action=Action.CREATE, outcome=Outcome.APPLIED, id=f"dep-{i}")
            for i in range(3000)]
    out = render_apply_markdown(ApplyReport(changes=rows), max_chars=10_000)
    kept = out.count("| applied |")
    assert len(out) <= 10_000 and 0 < kept < 3000
    assert f"_{3000 - kept:,} of 3,000 rows were cut" in out
    assert "**Apply complete: 3000 applied, 0 failed, 0 skipped.**" in out
