"""One ``comfyops plan`` matches the manifests to live state once (issue 18 §1: it used to run twice)."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.engine import match
from support.emulated import deployment_yaml


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = match.match_all

    def counted(*args: Any, **kwargs: Any) -> match.Matching:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(match, "match_all", counted)
    return calls


def test_plan_runs_match_all_once_with_live_deployments_and_a_version_change(
    run_cli: Any, manifests: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = manifests(deployment_yaml("alpha"), deployment_yaml("beta"))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    repo = manifests(deployment_yaml("alpha", extra="max_instances: 5"), deployment_yaml("beta"))
    calls = _counting(monkeypatch)
    result = run_cli("--emulator", "plan", "-f", str(repo))
    assert result.code == 0, result
    assert "max_instances" in result.out
    assert len(calls) == 1
