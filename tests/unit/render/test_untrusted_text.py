"""Every text and Markdown output shows hostile text from outside without acting on it (issue 20 §1-2).

The same hostile strings (OSC 52 / OSC 0, CSI, NUL, CR, LF, C1, bidi overrides, backticks, a line of
backticks, a blank line, ``@mentions``, image and link syntax, raw HTML, pipes) go into every value a
report carries that came from the API, a workflow or a manifest: names, ids, statuses, reasons, API
messages, field values, warnings, policy messages. Terminal output is checked on its characters and
line count; Markdown is parsed as GitHub does and compared token for token with a plain twin.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import re

import pytest

from reconciler.cli import output
from reconciler.diagnostics import Diagnostic, Location
from reconciler.engine.drift import DeploymentDrift, DriftedField, DriftKind, DriftReport
from reconciler.engine.plan import Action, FieldChange, Plan, ReplaceStrategy, ResourceChange, UnmanagedDeployment
from reconciler.engine.report import ApplyReport, ChangeOutcome, Outcome
from reconciler.engine.status import StatusReport, StatusRow, SyncState
from reconciler.history.entry import Entry
from reconciler.policy.report import PolicyMessage, PolicyReport
from reconciler.render import drift as drift_render
from reconciler.render import history as history_render
from reconciler.render import render_apply, render_plan, safe
from reconciler.render import smoke as smoke_render
from reconciler.render import status as status_render
from reconciler.render import validation as validation_render
from reconciler.render.apply_smoke import render_apply_smoke
from reconciler.smoke.progress import LineProgress, LiveProgress
from reconciler.smoke.report import CheckResult, DeploymentResult, SmokeReport, SmokeStatus
from support.hostile_text import (
    GITHUB,
    HOSTILE,
    assert_markdown_safe,
    assert_no_controls,
    assert_terminal_safe,
    each_hostile,
)


def plan_of(s: str) -> Plan:
    """A plan whose every display value holds ``s``."""
    update = ResourceChange(
        name=f"media-{s}", id=f"dep-{s}", action=Action.UPDATE, reason=f"settings differ: {s}", source=f"{s}.yaml:3",
        diff=[FieldChange(field="workflow_version", before=s, after=f"v-{s}")], warnings=[f"careful: {s}"],
    )
    replace = ResourceChange(
        name=s, id=s, action=Action.REPLACE, replace_strategy=ReplaceStrategy.CREATE_BEFORE_DESTROY,
        diff=[FieldChange(field="workflow_id", before=s, after="wf")], reason=s,
    )
    delete = ResourceChange(name=s, id=f"id-{s}", action=Action.DELETE, before={"name": s, "hardware": s}, reason=s)
    policy = PolicyReport(
        files=[f"{s}.rego"], namespaces=[s],
        denials=[PolicyMessage(namespace=s, rule="deny", message=f"denied: {s}")],
        warnings=[PolicyMessage(namespace="main", rule="warn", message=s)],
    )
    return Plan(
        changes=[update, replace, delete], unmanaged=[UnmanagedDeployment(name=s, id=s)], warnings=[s],
        environment=s, endpoint=f"http://{s}", policy=policy,
    )


def apply_of(s: str) -> ApplyReport:
    """An apply report whose names, ids, API error messages and rollback notes hold ``s``."""
    return ApplyReport(
        changes=[
            ChangeOutcome(name=s, action=Action.CREATE, outcome=Outcome.FAILED,
                          message=f"POST /prod/v2/deployments: 422001 validation error: {s}"),
            ChangeOutcome(name=f"media-{s}", id=s, action=Action.UPDATE, outcome=Outcome.APPLIED, rollback=s),
        ],
        readback_problems=[f"{s}: min_instances is 0 live, 1 desired"], environment=s,
    )


def smoke_of(s: str) -> SmokeReport:
    """A smoke report whose names, reasons, check messages, warnings and request ids hold ``s``."""
    check = CheckResult(name=f"outputs.{s}", status=SmokeStatus.FAIL, message=s)
    return SmokeReport(
        results=(
            DeploymentResult(name=s, status=SmokeStatus.FAIL, reason=s, checks=(check, check), request_id=s,
                             cleanup=s, free_memory=s, warnings=(s,), duration_seconds=1.0),
            DeploymentResult(name="media-ok", status=SmokeStatus.PASS, reason=f"passed {s}"),
        ),
        environment=s,
    )


def drift_of(s: str) -> DriftReport:
    """A drift report whose live names, statuses, reasons, fixes and hints hold ``s``."""
    return DriftReport(
        checked_at="2026-01-02T03:04:05Z",
        deployments=[
            DeploymentDrift(name=s, id=s, kind=DriftKind.ERROR, status=s, status_is_error=True, reason=f"status {s}",
                            fix=f"comfyops apply --target {s}", hint=s, since=s),
            DeploymentDrift(name=f"media-{s}", kind=DriftKind.DRIFTED, source=f"{s}.yaml:1", reason=s,
                            fields=[DriftedField(field=s, desired=s, live=f"{s}|live")], status=s,
                            status_is_error=True, fix=s, hint=s),
            DeploymentDrift(name=s, id="dep-1", kind=DriftKind.UNMANAGED, reason=s, hint=s),
        ],
        targets=[s],
        smoke={"results": [{"name": s, "status": s, "reason": s}], "summary": {"fail": 1}},
    )


def status_of(s: str) -> StatusReport:
    """A status table whose live names, ids, hardware, statuses and sources hold ``s``."""
    return StatusReport(rows=[
        StatusRow(name=s, id=s, hardware=s, status=s, source=s, sync=SyncState.UNMANAGED),
        StatusRow(name="media-a", id="dep-a", status="error", sync=SyncState.OUT_OF_SYNC, drifted_fields=[s]),
    ])


def progress_of(s: str) -> str:
    """What the plain smoke progress lines print for a request whose id and result hold ``s``."""
    stream = io.StringIO()
    plain = LineProgress(stream, clock=lambda: 0.0)
    plain.update("media-a", "submitted", f"request {s}")
    plain.update("media-a", "done", s)
    return stream.getvalue()


def test_the_live_progress_block_writes_only_its_own_cursor_codes() -> None:
    for s in HOSTILE.values():
        stream = io.StringIO()
        live = LiveProgress(stream, ["media-a"], clock=lambda: 0.0)
        live.update("media-a", "running", s)
        live.close()
        own = re.sub(r"\x1b\[[0-9]*[A-Za-z]", "", stream.getvalue())
        assert_no_controls(own)


TEXT = {
    "plan": lambda s: render_plan(plan_of(s), "text"),
    "plan-color": lambda s: render_plan(plan_of(s), "text", color=True),
    "apply": lambda s: render_apply(apply_of(s), "text"),
    "apply-color": lambda s: render_apply(apply_of(s), "text", color=True),
    "smoke": lambda s: smoke_render.text(smoke_of(s)),
    "smoke-progress": progress_of,
    "apply-smoke": lambda s: render_apply_smoke(apply_of(s), smoke_of(s), "text"),
    "drift": lambda s: drift_render.render_drift(drift_of(s), "text"),
    "drift-color": lambda s: drift_render.render_drift(drift_of(s), "text", color=True),
    "status": lambda s: status_render.render_status(status_of(s), "text"),
    "status-color": lambda s: status_render.render_status(status_of(s), "text", color=True),
    "requests": lambda s: history_render.text([
        Entry(request_id="r-1", deployment_id="d-1", deployment=s, source="smoke", api="emulator",
              submitted_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z", status=s, outcome=s,
              instance_id=s)
    ]),
    "diagnostic": lambda s: Diagnostic(f"bad value {s}", Location(f"{s}.yaml", 1, 2), f"spec.{s}", hint=s).format()
    + "\n",
}

MARKDOWN = {
    "plan": lambda s: render_plan(plan_of(s), "markdown"),
    "apply": lambda s: render_apply(apply_of(s), "markdown"),
    "smoke": lambda s: smoke_render.markdown(smoke_of(s)),
    "apply-smoke": lambda s: render_apply_smoke(apply_of(s), smoke_of(s), "markdown"),
    "drift": lambda s: drift_render.render_drift(drift_of(s), "markdown"),
    "status-summary": lambda s: status_render.text_block(
        "ComfyOps status", status_render.render_status(status_of(s), "text")
    ),
    "validate-summary": lambda s: validation_render.validation_markdown(
        [f"{s}: valid"], [Diagnostic(s, Location(f"{s}.yaml", 1, 1), s, hint=s)], failure=s
    ),
}


@pytest.mark.parametrize("output", sorted(TEXT))
def test_text_output_never_acts_on_hostile_text(output: str) -> None:
    render = TEXT[output]
    each_hostile(render, lambda hostile, plain: assert_terminal_safe(hostile, plain, color="color" in output))


def test_errors_and_annotations_on_stderr_never_act_on_hostile_text(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")

    def printed(s: str) -> str:
        out = output.Output()
        out.diagnostics([Diagnostic(s, Location(f"{s}.yaml", 1, 1), s, hint=s)])
        out.error(f"POST /prod/v2/deployments: 422001 validation error: {s}")
        return capsys.readouterr().err

    each_hostile(printed, assert_terminal_safe)


def test_an_error_detail_never_acts_on_hostile_text(capsys: pytest.CaptureFixture[str]) -> None:
    """A detail's lines are the ones its author joined; a newline the data holds can only add an indented
    line (never a column-0 ``Plan:`` line), and nothing in it acts on the terminal."""
    for s in HOSTILE.values():
        output.Output().error("a summary", f"{s}\nsecond line")
        err = capsys.readouterr().err
        assert_no_controls(err)
        assert all(line.startswith(("error: ", "  ")) for line in err.splitlines())


@pytest.mark.parametrize("output", sorted(MARKDOWN))
def test_markdown_output_holds_no_markup_but_its_own(output: str) -> None:
    each_hostile(MARKDOWN[output], assert_markdown_safe)


def test_the_hostile_text_is_still_shown_escaped() -> None:
    out = render_plan(plan_of(HOSTILE["osc52"] + HOSTILE["bidi"] + HOSTILE["lf"]), "text")
    assert "media-a\\x1b]52;c;" in out and "\\x07" in out and "admin\\u202eexe.txt" in out and "x\\nPlan: 0" in out
    drift = drift_render.render_drift(drift_of("a`b @octocat"), "markdown")
    assert "``a`b @octocat``" in drift and "@&#8203;octocat" in drift


def test_the_renderers_own_colour_codes_are_kept() -> None:
    out = render_plan(plan_of(HOSTILE["csi"]), "text", color=True)
    assert "\x1b[1m" in out and "\x1b[33m" in out
    assert "\\x1b[2J" in out and "\x1b[2J" not in out


def test_the_marker_in_a_name_is_not_a_second_marker() -> None:
    out = render_plan(plan_of(HOSTILE["html"]), "markdown")
    comments = [t for t in GITHUB.parse(out) if t.type == "html_block" and "<!--" in t.content]
    assert [t.content for t in comments] == ["<!-- comfyops:plan -->\n"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("\x1b]0;t\x07", "\\x1b]0;t\\x07"),
        ("a\r\nb\tc\x00", "a\\r\\nb\\tc\\x00"),
        ("\x7f\x85\x9b", "\\x7f\\x85\\x9b"),
        ("\u202a\u202e\u2066\u2069", "\\u202a\\u202e\\u2066\\u2069"),
        ("héllo ✓ 名前", "héllo ✓ 名前"),
    ],
)
def test_terminal_escapes_exactly_controls_and_bidi(value: str, expected: str) -> None:
    assert safe.terminal(value) == expected
    assert safe.terminal(safe.terminal(value)) == expected


def test_code_span_fence_outgrows_any_backtick_run_and_shows_newlines() -> None:
    assert safe.md_code("a``b") == "```a``b```"
    assert safe.md_code("`x`") == "`` `x` ``"
    assert safe.md_code("a\nb") == "`a\\nb`"
    assert safe.md_code("a|b", cell=True) == "`a\\|b`"
    assert safe.md_code("") == ""


def test_md_block_fence_cannot_be_closed_by_a_line() -> None:
    block = safe.md_block(["```", "````x"], "diff")
    assert block.startswith("`````diff\n") and block.endswith("\n`````")


def test_report_dataclasses_are_not_modified() -> None:
    report = smoke_of(HOSTILE["all"])
    before = dataclasses.asdict(report.results[0])
    smoke_render.markdown(report)
    smoke_render.text(report)
    assert dataclasses.asdict(report.results[0]) == before


def test_log_lines_shown_with_v_never_act_on_hostile_text() -> None:
    from reconciler.cli import _SafeFormatter

    formatter = _SafeFormatter("%(levelname)s %(name)s: %(message)s")

    def logged(s: str) -> str:
        record = logging.LogRecord("reconciler.client", logging.WARNING, __file__, 1,
                                   "POST /prod/v2/deployments: attempt #1/2 failed: %s", (s,), None)
        return formatter.format(record) + "\n"

    each_hostile(logged, assert_terminal_safe)


def test_junit_from_hostile_text_is_well_formed_xml_with_no_control_characters() -> None:
    import xml.etree.ElementTree as ET

    def junit(s: str) -> str:
        return smoke_render.junit(smoke_of(s))

    def parses_clean(rendered: str, _plain: str) -> None:
        root = ET.fromstring(rendered.split("?>", 1)[1])  # raises on a character XML 1.0 forbids
        for element in root.iter():
            for value in [element.text or "", *element.attrib.values()]:
                assert_no_controls(value.replace("\n", "").replace("\t", ""))

    each_hostile(junit, parses_clean)


def test_policy_test_report_never_acts_on_hostile_file_or_rule_names() -> None:
    from reconciler.policy.report import Outcome, TestResult
    from reconciler.render.policy_tests import render_tests

    def report(s: str) -> str:
        problem = Diagnostic(s, Location(f"policies/{s}.rego", 3, 1))
        return render_tests([TestResult(f"policies/{s}.rego", f"data.main.test_{s}", Outcome.ERROR, problem)])

    each_hostile(report, assert_terminal_safe)
