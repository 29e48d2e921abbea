"""free_memory_after and the journal in run_smoke: the instance freed after the checks, requests recorded."""

from __future__ import annotations

from typing import Any

from reconciler.render import safe
from reconciler.render import smoke as render
from reconciler.smoke.report import SmokeStatus
from reconciler.smoke.runner import run_smoke
from tests.unit.smoke.conftest import FAST_POLL, Env, smoke_doc

FREE = """
free_memory_after: true
expect:
  outputs:
    "9": {images: {count: 1}}
"""


class Journal:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def submitted(self, **fields: Any) -> None:
        self.events.append(("submitted", fields))

    def finished(self, **fields: Any) -> None:
        self.events.append(("finished", fields))


def _run(env: Env, smoke: str, journal: Journal | None = None) -> Any:
    desired = env.desired(smoke_doc("t2i", smoke))
    return run_smoke(desired, list(desired.deployments), client=env.client, poll=FAST_POLL, journal=journal)


def test_the_checked_instance_is_freed_before_the_assets_are_deleted(env: Env) -> None:
    dep = env.deploy("t2i")
    journal = Journal()
    report = _run(env, FREE, journal)
    result = report.by_name()["t2i"]
    assert result.status is SmokeStatus.PASS and result.instance_id and not result.warnings
    assert result.free_memory == f"freed {result.instance_id} (models unloaded, memory freed)"
    free = f"POST /prod/v2/deployments/{dep}/instances/{result.instance_id}/proxy/api/free"
    delete = f"DELETE /prod/v1/deployments/{dep}/requests/{result.request_id}"
    assert env.calls.index(free) < env.calls.index(delete)
    assert journal.events == [
        ("submitted", {"deployment": "t2i", "deployment_id": dep, "request_id": result.request_id}),
        ("finished", {"request_id": result.request_id, "outcome": "succeeded", "instance_id": result.instance_id}),
    ]
    text = render.text(report)
    assert f"      instance: freed {result.instance_id} (models unloaded, memory freed)\n" in text


def test_without_the_flag_nothing_is_freed(env: Env) -> None:
    env.deploy("t2i")
    report = _run(env, FREE.replace("free_memory_after: true\n", ""))
    assert report.by_name()["t2i"].free_memory == "" and not any("proxy" in c for c in env.calls)


def test_a_failed_free_is_a_warning_and_the_verdict_stands(env: Env) -> None:
    env.deploy("t2i")
    env.emu.state.configure(rate_limit_enabled=False)
    with env.emu.state.transaction() as data:
        data["faults"] = {"error_rate": 1.0, "path_prefix": "/prod/v2/deployments/", "methods": ["POST"]}
    report = _run(env, FREE)
    result = report.by_name()["t2i"]
    assert report.ok and result.status is SmokeStatus.PASS and result.free_memory == ""
    [warning] = result.warnings
    assert warning.startswith(f"free_memory_after: could not free instance {result.instance_id}: POST ")
    assert f"      warning: {warning}\n" in render.text(report)
    assert safe.md_text(warning) in render.markdown(report) and warning in render.junit(report)
