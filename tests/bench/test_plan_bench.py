"""Benchmark: ``comfyops plan`` over 1,000 deployments costs one API request and well under 1 s of CPU.

Run on demand (the default run deselects the ``bench`` marker)::

    .venv/bin/pytest tests/bench -m bench -s

``test_plan_core_path_over_1000_deployments`` times each stage of the plan path separately, CPU
(``time.process_time``) and wall (``time.perf_counter``): loading the manifests, the one list
request (through ``RunComfyClient`` over an ``httpx.MockTransport`` serving a pre-encoded body, so
the fake's own work is not counted), normalising live state, ``build_plan`` and rendering text, JSON
and Markdown. It asserts exactly one HTTP request and that observe + build_plan + render stays
under 1 s of CPU, and so does the whole path with manifest loading included.
``test_cli_plan_over_1000_deployments_makes_one_request`` runs the real command against the
embedded emulator and counts the requests the client sends.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from reconciler import catalog
from reconciler.engine import live, planner
from reconciler.engine.plan import Action
from reconciler.manifest.load import load_manifests
from reconciler.render import render_plan
from reconciler.runcomfy.client import DEPLOYMENTS, RunComfyClient
from reconciler.runcomfy.http import build_http_client
from reconciler.runcomfy.ratelimit import TokenBucket

pytestmark = pytest.mark.bench

COUNT = 1_000
CPU_BUDGET_SECONDS = 1.0
TOTAL_CPU_BUDGET_SECONDS = 1.0  # the whole plan, manifests included (libyaml's composer keeps loading ~0.5 s)
T = TypeVar("T")


def spec_of(index: int) -> dict[str, Any]:
    return {
        "workflow_id": f"wf-{index % 7}",
        "workflow_version": "v1",
        "hardware": catalog.HARDWARE_SKUS[index % len(catalog.HARDWARE_SKUS)],
        "min_instances": 0,
        "max_instances": 1 + index % 4,
        "queue_size": 1 + index % 3,
        "keep_warm_duration_in_seconds": 60,
    }


def manifests_yaml(count: int) -> str:
    docs = ["apiVersion: comfyops/v1\nkind: Settings\nspec:\n  rate_limit: {requests_per_second: 1, burst: 5}\n"]
    for i in range(count):
        spec = "\n".join(f"  {k}: {v}" for k, v in spec_of(i).items())
        docs.append(f"apiVersion: comfyops/v1\nkind: Deployment\nmetadata:\n  name: svc-{i:04d}\nspec:\n{spec}\n")
    return "---\n".join(docs)


def live_records(count: int) -> list[dict[str, Any]]:
    """``count`` live deployments matching the manifests, except: every 20th has a different queue_size
    (update), every 250th a different workflow_id (replace), and the last 5 are missing (create)."""
    records = []
    for i in range(count - 5):
        spec = spec_of(i)
        if i % 20 == 0:
            spec["queue_size"] += 10
        if i % 250 == 1:
            spec["workflow_id"] = "wf-old"
        records.append({
            "id": f"00000000-0000-4000-8000-{i:012d}", "name": f"svc-{i:04d}", **spec,
            "hardware": [spec["hardware"]], "is_enabled": True, "status": "ready",
            "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z",
        })
    return records


class CountingList:
    """A transport answering ``GET /prod/v2/deployments`` with a pre-encoded body, counting every request."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.body = json.dumps(records).encode()
        self.requests: list[tuple[str, str]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        if (request.method, request.url.path) == ("GET", DEPLOYMENTS):
            return httpx.Response(200, content=self.body, headers={"Content-Type": "application/json"})
        return httpx.Response(404, json={"error_code": 404001, "error_message": "not found"})


def measured(figures: dict[str, tuple[float, float]], label: str, func: Callable[[], T]) -> T:
    cpu, wall = time.process_time(), time.perf_counter()
    result = func()
    figures[label] = (time.process_time() - cpu, time.perf_counter() - wall)
    return result


def report(title: str, figures: dict[str, tuple[float, float]]) -> None:
    print(f"\n{title}")
    for label, (cpu, wall) in figures.items():
        print(f"  {label:<40} cpu {cpu * 1000:8.1f} ms   wall {wall * 1000:8.1f} ms")


def test_plan_core_path_over_1000_deployments(tmp_path: Path) -> None:
    manifest = tmp_path / "deployments.yaml"
    manifest.write_text(manifests_yaml(COUNT), encoding="utf-8")
    fake = CountingList(live_records(COUNT))
    http = build_http_client(base_url="https://api.bench.test", token="bench-token-0000",
                             transport=httpx.MockTransport(fake.handle))

    def no_sleep(seconds: float) -> None:
        raise AssertionError(f"plan slept {seconds}s")

    client = RunComfyClient(http, limiter=TokenBucket(1.0, 5, sleep=no_sleep), sleep=no_sleep)
    figures: dict[str, tuple[float, float]] = {}

    loaded = measured(figures, "load manifests (YAML + models)", lambda: load_manifests([manifest], env={}))
    assert loaded.state is not None, [p.format() for p in loaded.errors]
    desired = loaded.state
    deployments = measured(figures, "list request (1 GET + parse)", lambda: client.list_deployments())
    current = measured(figures, "normalise live state",
                       lambda: live.from_api_list(d.model_dump(mode="json") for d in deployments))
    plan, problems = measured(figures, "build_plan",
                              lambda: planner.build_plan(desired, current, planner.PlanOptions(allow_replace=True)))
    rendered = {
        fmt: measured(figures, f"render {fmt}", lambda fmt=fmt: render_plan(plan, fmt))  # type: ignore[misc]
        for fmt in ("text", "json", "markdown")
    }

    planning = ("list request (1 GET + parse)", "normalise live state", "build_plan",
                "render text", "render json", "render markdown")
    plan_cpu = sum(figures[k][0] for k in planning)
    plan_wall = sum(figures[k][1] for k in planning)
    figures["observe + build_plan + render (total)"] = (plan_cpu, plan_wall)
    figures["everything incl. load"] = (plan_cpu + figures["load manifests (YAML + models)"][0],
                                        plan_wall + figures["load manifests (YAML + models)"][1])
    report(f"comfyops plan over {COUNT} deployments, {len(fake.requests)} API request(s):", figures)

    assert problems == []
    assert len(desired.deployments) == COUNT and len(current) == COUNT - 5
    assert plan.summary.model_dump() == {"create": 5, "update": 50, "replace": 4, "delete": 0, "noop": 941}
    assert all(rendered.values())
    assert json.loads(rendered["json"])["summary"]["update"] == 50
    assert [c.action for c in plan.changes if c.name == "svc-0001"] == [Action.REPLACE]
    assert fake.requests == [("GET", DEPLOYMENTS)], "plan must read live state with exactly one request"
    assert plan_cpu < CPU_BUDGET_SECONDS, f"observe + build_plan + render took {plan_cpu:.3f}s of CPU"
    total_cpu = figures["load manifests (YAML + models)"][0] + plan_cpu
    assert total_cpu < TOTAL_CPU_BUDGET_SECONDS, f"the whole plan took {total_cpu:.3f}s of CPU"


def test_cli_plan_over_1000_deployments_makes_one_request(
    tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconciler.emulator.state import EmulatorState
    from reconciler.runcomfy import http as http_mod

    manifest = tmp_path / "deployments.yaml"
    manifest.write_text(manifests_yaml(COUNT), encoding="utf-8")
    state = EmulatorState(tmp_path / ".emulator-state")  # conftest points COMFYOPS_EMULATOR_STATE here
    with state.transaction() as data:
        for wf in {spec_of(i)["workflow_id"] for i in range(COUNT)} | {"wf-old"}:
            data["workflows"][wf] = {"v1": {}}
        for record in live_records(COUNT):
            data["deployments"][record["id"]] = {**record, "deleted": False}

    requests: list[str] = []
    real_build = http_mod.build_http_client

    def counting_build(**kwargs: Any) -> httpx.Client:
        client = real_build(**kwargs)
        client.event_hooks["request"].append(lambda r: requests.append(f"{r.method} {r.url.path}"))
        return client

    monkeypatch.setattr(http_mod, "build_http_client", counting_build)
    cpu, wall = time.process_time(), time.perf_counter()
    result = run_cli("--emulator", "plan", "-f", str(manifest), "--format", "json", "--allow-replace")
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"\ncomfyops --emulator plan over {COUNT} deployments (CLI, emulator in-process): "
          f"{len(requests)} API request(s), cpu {cpu * 1000:.1f} ms (client + emulator), wall {wall * 1000:.1f} ms")

    assert result.code == 0, result.err
    assert json.loads(result.out)["summary"] == {"create": 5, "update": 50, "replace": 4, "delete": 0, "noop": 941}
    assert requests == [f"GET {DEPLOYMENTS}"]
