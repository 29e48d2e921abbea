"""Drift and status name their environment, so two environments' reports (and drift issues) cannot be confused."""

from __future__ import annotations

import json

from reconciler.engine.drift import DriftReport
from reconciler.engine.status import StatusReport
from reconciler.render.drift import render_drift
from reconciler.render.status import render_status


def test_drift_names_its_environment_in_every_format() -> None:
    report = DriftReport(checked_at="2026-12-06T01:00:00+00:00", environment="prod", in_sync=["a-prod"])
    assert render_drift(report, "text").startswith("Environment: prod\n\n")
    assert render_drift(report, "markdown").startswith("## ComfyOps drift: prod\n\n")
    assert json.loads(render_drift(report, "json"))["environment"] == "prod"
    plain = DriftReport(checked_at="2026-12-06T01:00:00+00:00")
    assert "Environment" not in render_drift(plain, "text") and "##" not in render_drift(plain, "markdown")


def test_status_names_its_environment_in_text_and_json() -> None:
    report = StatusReport(environment="staging")
    assert render_status(report, "text").startswith("Environment: staging\n\n")
    assert json.loads(render_status(report, "json"))["environment"] == "staging"
    assert not render_status(StatusReport(), "text").startswith("Environment")


def test_an_environment_name_cannot_inject_terminal_sequences() -> None:
    report = DriftReport(checked_at="2026-12-06T01:00:00+00:00", environment="prod\x1b[2J")
    assert "\x1b" not in render_drift(report, "text")
