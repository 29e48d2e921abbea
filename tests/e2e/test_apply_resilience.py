"""apply under faults and interruption: it converges on re-run and never creates a duplicate."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from reconciler.engine import planner
from reconciler.engine.plan import Action
from reconciler.engine.report import Outcome
from reconciler.manifest.load import load_manifests
from reconciler.retry import RetryPolicy
from reconciler.runcomfy.client import RunComfyClient
from reconciler.runcomfy.errors import ApiError
from reconciler.runcomfy.http import build_http_client
from reconciler.runcomfy.ratelimit import TokenBucket
from reconciler.session import executor, observe
from support.emulated import deployment_yaml, live_deployments

NAMES = [f"svc-{i:02d}" for i in range(8)]


def _client(emulator: Any) -> RunComfyClient:
    http = build_http_client(base_url=emulator.base_url, token="test-token")
    return RunComfyClient(http, limiter=TokenBucket(1000, 1000), retry=RetryPolicy(base=0.0, cap=0.0, max_attempts=6),
                          sleep=lambda _s: None)


def _plan(repo: Path, client: RunComfyClient) -> Any:
    result = load_manifests([str(repo)], env=dict(os.environ))
    assert result.state is not None, result.problems
    plan, problems = planner.build_plan(result.state, observe.observe(client), planner.PlanOptions())
    assert not problems
    return plan


def _register(emulator: Any, repo: Path) -> None:
    import json

    emulator.register_workflow("wf-txt2img", "v1", json.loads((repo / "wf.json").read_text()))


def test_interrupted_apply_then_rerun_converges_without_duplicates(manifests, emulator):
    repo = manifests(*[deployment_yaml(n) for n in NAMES])
    _register(emulator, repo)
    client = _client(emulator)
    calls = {"n": 0}
    real_create = client.create_deployment

    def create_then_interrupt(body: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 4:
            real_create(body)  # the create lands, then the user presses Ctrl-C
            raise KeyboardInterrupt
        return real_create(body)

    client.create_deployment = create_then_interrupt  # type: ignore[method-assign]
    report = executor.execute(_plan(repo, client), client=client)
    assert report.interrupted and report.failed
    outcomes = Counter(c.outcome for c in report.changes)
    assert outcomes == {Outcome.APPLIED: 3, Outcome.FAILED: 1, Outcome.SKIPPED: 4}
    client = _client(emulator)
    rerun = _plan(repo, client)
    assert rerun.summary.create == 4  # the interrupted create landed: it is adopted by name, not re-created
    report = executor.execute(rerun, client=client)
    assert not report.failed, report
    names = [d["name"] for d in live_deployments(emulator)]
    assert sorted(names) == NAMES and len(set(names)) == len(names)
    assert _plan(repo, client).is_empty


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_apply_under_injected_faults_converges_without_duplicates(manifests, emulator, seed):
    repo = manifests(*[deployment_yaml(n, extra="max_instances: 2") for n in NAMES])
    _register(emulator, repo)
    emulator.set_faults(error_rate=0.3, rate_limit_rate=0.1, ambiguous_create_rate=0.3, drop_rate=0.05, seed=seed)
    client = _client(emulator)
    for _attempt in range(6):  # a user re-runs apply until it reports success
        try:
            plan = _plan(repo, client)
        except ApiError:  # the list itself exhausted its retries under faults
            continue
        if plan.is_empty:
            break
        executor.execute(plan, client=client)
    emulator.set_faults()
    names = [d["name"] for d in live_deployments(emulator)]
    assert sorted(names) == NAMES, "every deployment exists exactly once"
    final = _plan(repo, _client(emulator))
    assert final.is_empty and all(c.action is Action.NOOP for c in final.changes)


@pytest.mark.parametrize("seed", [1, 2])
def test_one_apply_converges_when_creates_fail_before_landing(manifests, emulator, seed):
    repo = manifests(*[deployment_yaml(n) for n in NAMES])
    _register(emulator, repo)
    client = _client(emulator)
    plan = _plan(repo, client)
    # a 5xx or a reset before the create ran: the re-list shows it absent, so it is sent again
    emulator.set_faults(error_rate=0.3, drop_rate=0.2, ambiguous_create_rate=0.2, methods=["POST"],
                        path_prefix="/prod/v2/deployments", seed=seed)
    report = executor.execute(plan, client=client)
    emulator.set_faults()
    assert not report.failed, [c.message for c in report.changes if c.outcome is Outcome.FAILED]
    names = [d["name"] for d in live_deployments(emulator)]
    assert sorted(names) == NAMES, "every deployment exists exactly once"
    assert _plan(repo, _client(emulator)).is_empty
