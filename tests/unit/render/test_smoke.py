"""Renderers of SmokeReport: text, JSON, Markdown and JUnit XML, all four states."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from reconciler.render import smoke as render
from reconciler.smoke.report import CheckResult, DeploymentResult, SmokeReport, SmokeStatus

S = SmokeStatus
REPORT = SmokeReport(
    (
        DeploymentResult("ok", S.PASS, "2 checks passed", (CheckResult("status", S.PASS, "run succeeded"),),
                         "dep-1", "req-1", 3.25, "deleted 1 stored object"),
        DeploymentResult("bad|name", S.FAIL, 'outputs."9".images.format: is jpeg (and 1 more)',
                         (CheckResult('outputs."9".images.format', S.FAIL, "is jpeg"),
                          CheckResult('outputs."9".images.width', S.FAIL, "too narrow")),
                         "dep-2", "req-2", 4.0),
        DeploymentResult("broken", S.ERROR, "submit failed: POST /x: 10002 deployment disabled"),
        DeploymentResult("ghost", S.SKIPPED, "not deployed"),
    ),
    duration_seconds=5.5,
)


def test_text_lists_each_deployment_and_the_summary() -> None:
    out = render.render(REPORT, "text")
    assert out.splitlines()[0] == "PASS  ok        2 checks passed  (3.2s, request req-1)"
    assert "      - outputs.\"9\".images.width: too narrow" in out
    assert out.endswith("Smoke tests: 1 passed, 1 failed, 1 errored, 1 skipped in 5.5s.\n")


def test_json_is_versioned_and_complete() -> None:
    data = json.loads(render.render(REPORT, "json"))
    assert data["format_version"] == 1 and data["ok"] is False
    assert data["summary"] == {"pass": 1, "fail": 1, "error": 1, "skipped": 1}
    assert [r["status"] for r in data["results"]] == ["pass", "fail", "error", "skipped"]
    assert data["results"][1]["checks"][1] == {"name": 'outputs."9".images.width', "status": "fail",
                                               "message": "too narrow"}


def test_markdown_escapes_table_cells_and_lists_failed_checks() -> None:
    out = render.render(REPORT, "markdown")
    assert "| `bad\\|name` | ❌ fail | 4.0s |" in out
    assert "**1 passed, 1 failed, 1 errored, 1 skipped** in 5.5s" in out
    assert '- `bad|name` outputs."9".images.width: too narrow' in out


def test_junit_has_one_testcase_per_deployment_with_failure_error_and_skipped() -> None:
    root = ET.fromstring(render.junit(REPORT))
    suite = root.find("testsuite")
    assert suite is not None
    counts = [suite.get(key) for key in ("tests", "failures", "errors", "skipped")]
    assert counts == ["4", "1", "1", "1"]
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert list(cases) == ["ok", "bad|name", "broken", "ghost"]
    assert [child.tag for child in cases["ok"]] == ["system-out"]
    failure = cases["bad|name"].find("failure")
    assert failure is not None and failure.get("message", "").startswith('outputs."9".images.format')
    error = cases["broken"].find("error")
    assert error is not None and "10002" in error.get("message", "")
    skipped = cases["ghost"].find("skipped")
    assert skipped is not None and skipped.get("message") == "not deployed"


def test_report_helpers_for_apply() -> None:
    assert REPORT.by_name()["broken"].status is S.ERROR and "nope" not in REPORT.by_name()
    assert REPORT.named(S.FAIL) == ("bad|name",)
    assert not REPORT.ok and SmokeReport(()).ok and not SmokeReport((), interrupted=True).ok


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown smoke report format"):
        render.render(REPORT, "yaml")


def test_the_summary_line_says_what_the_run_cost_in_api_calls() -> None:
    from dataclasses import replace

    counted = SmokeReport(
        (replace(REPORT.results[0], api_calls=4), replace(REPORT.results[1], api_calls=6), REPORT.results[3]),
        duration_seconds=16.2,
    )
    assert render.render(counted, "text").endswith(
        "Smoke tests: 1 passed, 1 failed, 0 errored, 1 skipped in 16.2s (10 API calls, 5.0 per test).\n"
    )
    assert "in 16.2s (10 API calls, 5.0 per test)" in render.render(counted, "markdown")
    assert json.loads(render.render(counted, "json"))["results"][0]["api_calls"] == 4
