"""Persistence across app instances, clocks and the embedded loopback server."""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulator.app import create_app
from reconciler.emulator.clock import FakeClock, ScaledClock, SystemClock, iso
from reconciler.emulator.embedded import EmbeddedEmulator
from reconciler.emulator.state import EmulatorState, default_state_dir

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette asks for httpx2; httpx works
    from starlette.testclient import TestClient

AUTH = {"Authorization": "Bearer test-token"}
GRAPH: dict[str, Any] = {"9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0]}}}
CREATE = {"name": "t2i", "workflow_id": "wf-1", "workflow_version": "v1"}


def test_state_persists_across_app_instances(tmp_path: Path) -> None:
    first = create_app(tmp_path)
    first.register_workflow("wf-1", "v1", GRAPH)
    first.configure(rate_limit_enabled=False, run_seconds=0, queue_seconds=0)
    with TestClient(first, headers=AUTH) as client:
        created = client.post("/prod/v2/deployments", json=CREATE).json()
        sub = client.post(f"/prod/v1/deployments/{created['id']}/inference", json={"overrides": {}}).json()
    second = create_app(tmp_path)
    with TestClient(second, headers=AUTH) as client:
        assert [d["id"] for d in client.get("/prod/v2/deployments").json()] == [created["id"]]
        assert client.get(sub["result_url"]).json()["status"] == "succeeded"
        assert client.get("/_emulator/workflows").json() == {"wf-1": ["v1"]}
    assert not [p for p in tmp_path.iterdir() if p.name != "state.json"]  # atomic write left no temp file


def test_state_reloads_when_another_instance_writes(tmp_path: Path) -> None:
    one, two = EmulatorState(tmp_path), EmulatorState(tmp_path)
    assert two.workflow("wf-1", "v1") is None
    one.register_workflow("wf-1", "v1", GRAPH)
    assert two.workflow("wf-1", "v1") == GRAPH
    with pytest.raises(RuntimeError), two.transaction() as data:
        data["workflows"]["wf-2"] = {"v1": GRAPH}
        raise RuntimeError("roll back")
    assert two.workflows() == {"wf-1": ["v1"]}
    assert two.reset() == {"deployments": 0, "workflow_versions": 1, "requests": 0}
    assert one.workflows() == {}


def test_default_state_dir_follows_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert default_state_dir() == Path(os.environ["COMFYOPS_EMULATOR_STATE"])
    monkeypatch.delenv("COMFYOPS_EMULATOR_STATE")
    assert default_state_dir() == Path(".comfyops") / "emulator"


def test_config_validation(tmp_path: Path) -> None:
    state = EmulatorState(tmp_path)
    assert state.configure(queue_seconds=0, fail_next_runs=2)["fail_next_runs"] == 2
    for bad in ({"queue_seconds": "1"}, {"rate_limit_enabled": 1}, {"what": 1}, {"run_seconds": True}):
        with pytest.raises(ValueError):
            state.configure(**bad)


def test_register_workflow_route(tmp_path: Path) -> None:
    with TestClient(create_app(tmp_path)) as client:
        ok = client.post("/_emulator/workflows", json={"workflow_id": "w", "version": "v1", "workflow_api_json": GRAPH})
        assert ok.status_code == 201
        bad = client.post("/_emulator/workflows", json={"workflow_id": "", "workflow_api_json": {"1": {}}})
        assert bad.status_code == 422 and len(bad.json()["detail"]) == 3
        assert client.get("/_emulator/object_info/w/v9").status_code == 404
        assert client.post("/_emulator/reset").json()["cleared"]["workflow_versions"] == 1


def test_clocks() -> None:
    fake = FakeClock(0)
    fake.advance(5)
    assert fake.now() == 5
    fake.set(10)
    assert iso(fake.now()) == "1970-01-01T00:00:10+00:00"
    scaled = ScaledClock(100)
    before = scaled.now()
    time.sleep(0.02)
    assert scaled.now() - before >= 1.5
    assert abs(SystemClock().now() - time.time()) < 1
    with pytest.raises(ValueError):
        ScaledClock(0)


def test_embedded_emulator_starts_and_stops(tmp_path: Path) -> None:
    with EmbeddedEmulator(tmp_path, clock=FakeClock()) as emu:
        assert emu.base_url.startswith("http://127.0.0.1:")
        emu.register_workflow("wf-1", "v1", GRAPH)
        emu.configure(rate_limit_enabled=False)
        with httpx.Client(base_url=emu.base_url, headers=AUTH) as http:
            created = http.post("/prod/v2/deployments", json=CREATE)
            assert created.status_code == 200
            sub = http.post(f"/prod/v2/deployments/{created.json()['id']}/inference", json={"overrides": {}}).json()
            assert sub["status_url"].startswith(emu.base_url)
            assert isinstance(emu.clock, FakeClock)
            emu.clock.advance(10)
            assert http.get(sub["result_url"]).json()["status"] == "succeeded"
        assert emu.state.counts()["deployments"] == 1
        port = emu.port
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/_emulator/health", timeout=1)
    with pytest.raises(RuntimeError):
        _ = emu.base_url
