"""API error messages are text from a remote: apply's progress lines and its reports show them escaped (issue 20).

The fake API answers every PATCH with a 422 whose ``error_message`` and ``detail[].msg`` are hostile
(OSC 52, CSI, NUL, CR, LF, bidi, backticks, mentions, images, raw HTML, pipes); the progress lines
apply prints as it goes, the text report and the Markdown report (posted when an apply fails) must
not act on them.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from reconciler.cli.apply import _ProgressHooks
from reconciler.engine.plan import Action, FieldChange, Plan, ResourceChange
from reconciler.engine.report import ApplyReport, Outcome
from reconciler.render import render_apply
from reconciler.session import executor
from support.fake_api import FakeDeploymentsApi, client_for
from support.hostile_text import HOSTILE, PLAIN, assert_markdown_safe, assert_terminal_safe


class HostileApi(FakeDeploymentsApi):
    """Refuses every PATCH with ``message`` as the error message and as a detail item."""

    def __init__(self, message: str) -> None:
        super().__init__([{"id": "dep-1", "name": "media-a", "workflow_id": "wf", "workflow_version": "v1"}])
        self.message = message

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH":
            body: dict[str, Any] = {"error_code": 422001, "error_message": self.message,
                                    "detail": [{"loc": ["body", "name"], "msg": f"bad: {self.message}"}]}
            return httpx.Response(422, json=body)
        return super().handle(request)


PLAN = Plan(changes=[ResourceChange(name="media-a", id="dep-1", action=Action.UPDATE,
                                    diff=[FieldChange(field="max_instances", before=1, after=2)])])


def applied(message: str, capsys: pytest.CaptureFixture[str]) -> tuple[ApplyReport, str]:
    """Apply ``PLAN`` against an API that refuses it with ``message``; the report and the progress lines."""
    capsys.readouterr()
    report = executor.execute(PLAN, client=client_for(HostileApi(message)), hooks=_ProgressHooks())
    assert [o.outcome for o in report.changes] == [Outcome.FAILED]
    return report, capsys.readouterr().err


def test_progress_lines_show_api_messages_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    _, plain = applied(PLAIN, capsys)
    assert "plain" in plain
    for name, message in HOSTILE.items():
        _, progress = applied(message, capsys)
        try:
            assert_terminal_safe(progress, plain)
        except AssertionError as exc:
            raise AssertionError(f"hostile string {name!r}: {exc}") from None


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_apply_reports_show_api_messages_escaped(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    plain = render_apply(applied(PLAIN, capsys)[0], fmt)
    check = assert_markdown_safe if fmt == "markdown" else assert_terminal_safe
    for name, message in HOSTILE.items():
        out = render_apply(applied(message, capsys)[0], fmt)
        try:
            check(out, plain)
        except AssertionError as exc:
            raise AssertionError(f"hostile string {name!r}: {exc}") from None
