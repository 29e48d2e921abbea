"""Without -v, retries print one line at the end, not one per attempt (issue 23 §3)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from reconciler.runcomfy.client import RunComfyClient

BASE = "https://api.example.test"
DEP = {"id": "dep-1", "name": "t2i", "workflow_id": "wf", "workflow_version": "v1", "hardware": ["AMPERE_48"]}
LIST = f"{BASE}/prod/v2/deployments"


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[respx.Router]:
    monkeypatch.setenv("RUNCOMFY_API_TOKEN", "rc-test-token-0123456789")
    monkeypatch.setenv("RUNCOMFY_API_URL", BASE)
    defaults = RunComfyClient.__init__.__kwdefaults__
    assert defaults is not None
    monkeypatch.setitem(defaults, "sleep", lambda _seconds: None)  # no real backoff waits
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        yield router


def run_as_a_user_would(run_cli: Any, *args: str) -> Any:
    """``run_cli`` without pytest's log capture on the root logger, so that, as in a real run, Python's
    last-resort handler prints to stderr any warning that reaches the root."""
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers.clear()
    try:
        return run_cli(*args)
    finally:
        root.handlers[:] = saved


def test_retries_that_succeed_print_one_line(api: respx.Router, run_cli: Any) -> None:
    api.get(LIST).mock(side_effect=[httpx.Response(503), httpx.Response(503), httpx.Response(200, json=[DEP])])
    result = run_as_a_user_would(run_cli, "requests", "t2i")
    assert result.code == 0, result
    assert "attempt #" not in result.err
    notes = [line for line in result.err.splitlines() if "retried" in line]
    assert notes == ["note: 2 failed API attempts were retried (last: GET /prod/v2/deployments: HTTP 503 "
                     "server error); -v shows each attempt"], result.err


def test_retries_that_run_out_print_the_error_and_one_line(api: respx.Router, run_cli: Any) -> None:
    api.get(LIST).mock(return_value=httpx.Response(503))
    result = run_as_a_user_would(run_cli, "requests", "t2i")
    assert result.code == 1, result
    assert "attempt #" not in result.err
    assert result.err.splitlines()[0] == "error: GET /prod/v2/deployments: HTTP 503 server error", result.err
    assert sum("retried" in line for line in result.err.splitlines()) == 1, result.err


def test_with_v_each_attempt_is_logged(api: respx.Router, run_cli: Any) -> None:
    api.get(LIST).mock(side_effect=[httpx.Response(503), httpx.Response(200, json=[DEP])])
    result = run_as_a_user_would(run_cli, "-v", "requests", "t2i")
    assert result.code == 0, result
    assert "attempt #1/5 failed: HTTP 503" in result.err
