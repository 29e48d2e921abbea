"""The ComfyUI backend behind the emulated instance proxy: free, object_info, system_stats, plain 404s."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import comfyui
from reconciler.emulator.app import create_app
from reconciler.emulator.clock import FakeClock

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette asks for httpx2; httpx works
    from starlette.testclient import TestClient

GRAPH: dict[str, Any] = {
    "3": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 20}},
    "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "x"}},
}
OTHER: dict[str, Any] = {"1": {"class_type": "LoadImage", "inputs": {"image": "a.png"}}}


class Env:
    def __init__(self, client: TestClient, clock: FakeClock, app: Any) -> None:
        self.client, self.clock, self.app = client, clock, app

    def live_instance(self, **fields: Any) -> tuple[str, str]:
        body = {"name": "t2i", "workflow_id": "wf-1", "workflow_version": "v1", **fields}
        dep = self.client.post("/prod/v2/deployments", json=body).json()["id"]
        sub = self.client.post(f"/prod/v1/deployments/{dep}/inference", json={"overrides": {}}).json()
        self.clock.advance(0.5)
        return dep, self.client.get(sub["status_url"]).json()["instance_id"]

    def proxy(self, dep: str, instance: str, path: str, method: str = "POST", **kw: Any) -> Any:
        return self.client.request(method, f"/prod/v2/deployments/{dep}/instances/{instance}/proxy/{path}", **kw)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    clock = FakeClock()
    app = create_app(tmp_path / "state", clock=clock)
    app.register_workflow("wf-1", "v1", GRAPH)
    app.register_workflow("wf-2", "v1", OTHER)
    app.configure(rate_limit_enabled=False, queue_seconds=0, run_seconds=1)
    with TestClient(app, headers={"Authorization": "Bearer t"}) as client:
        yield Env(client, clock, app)


@pytest.mark.parametrize("path", ["api/free", "free"])
def test_free_answers_200_without_a_body_and_is_logged(env: Env, path: str) -> None:
    dep, instance = env.live_instance()
    response = env.proxy(dep, instance, path, json={"unload_models": True})
    assert response.status_code == 200 and response.content == b""
    with env.app.state.read() as data:
        assert data["proxy_calls"][-1] == {"deployment_id": dep, "instance_id": instance, "method": "POST",
                                           "path": path, "body": {"unload_models": True}, "status": 200}


def test_free_refuses_a_body_comfyui_would_not_read(env: Env) -> None:
    dep, instance = env.live_instance()
    assert env.proxy(dep, instance, "api/free", json={"unload_models": "yes"}).status_code == 400
    assert env.proxy(dep, instance, "api/free", json=[1]).status_code == 400


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_object_info_holds_every_registered_workflow(env: Env, method: str) -> None:
    dep, instance = env.live_instance()
    info = env.proxy(dep, instance, "object_info", method).json()
    assert {"KSampler", "SaveImage", "LoadImage"} <= set(info)
    one = env.proxy(dep, instance, "object_info/KSampler", method)
    assert list(one.json()) == ["KSampler"]
    missing = env.proxy(dep, instance, "object_info/NoSuchNode", method)
    assert (missing.status_code, missing.text) == (404, "404: Not Found")


def test_system_stats_reports_the_deployment_gpu(env: Env) -> None:
    dep, instance = env.live_instance(hardware=["ADA_80_PLUS"])
    stats = env.proxy(dep, instance, "system_stats", "GET").json()
    [device] = stats["devices"]
    assert "H100" in device["name"] and device["vram_total"] == 80 * 1024**3


def test_unknown_routes_404_in_comfyui_style(env: Env) -> None:
    dep, instance = env.live_instance()
    response = env.proxy(dep, instance, "api/prompt/nope")
    assert response.status_code == 404 and response.text == comfyui.NOT_FOUND_TEXT
    assert response.headers["content-type"].startswith("text/plain")


def test_an_instance_past_keep_warm_is_not_running(env: Env) -> None:
    dep, instance = env.live_instance(keep_warm_duration_in_seconds=5)
    env.clock.advance(0.5 + 5)  # the run ends at 1s; warm until 6s
    assert env.proxy(dep, instance, "system_stats").status_code == 200
    env.clock.advance(1)
    gone = env.proxy(dep, instance, "system_stats")
    assert gone.status_code == 404 and gone.json() == {"error_code": 404001,
                                                      "error_message": f"Instance {instance} is not running"}
