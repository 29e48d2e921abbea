"""The rate limit (429 + Retry-After) and each injected fault kind, scoped and seeded."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulator.app import ConnectionDropped, EmulatorApp, create_app
from reconciler.emulator.embedded import EmbeddedEmulator
from reconciler.emulator.faults import FaultConfig, TokenBucket

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette asks for httpx2; httpx works
    from starlette.testclient import TestClient

AUTH = {"Authorization": "Bearer test-token"}
GRAPH: dict[str, Any] = {"9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0]}}}
CREATE = {"name": "t2i", "workflow_id": "wf-1", "workflow_version": "v1"}


@pytest.fixture
def app(tmp_path: Path) -> EmulatorApp:
    emulator = create_app(tmp_path / "state")
    emulator.register_workflow("wf-1", "v1", GRAPH)
    emulator.configure(rate_limit_enabled=False)
    return emulator


@pytest.fixture
def client(app: EmulatorApp) -> Iterator[TestClient]:
    with TestClient(app, headers=AUTH) as test_client:
        yield test_client


def test_rate_limit_bursts_then_429(app: EmulatorApp, client: TestClient) -> None:
    now = [100.0]
    app.limiter = TokenBucket(time_fn=lambda: now[0])
    app.configure(rate_limit_enabled=True, rate_limit_per_second=1, rate_limit_burst=5)
    assert [client.get("/prod/v2/deployments").status_code for _ in range(5)] == [200] * 5
    limited = client.get("/prod/v2/deployments")
    assert limited.status_code == 429 and limited.json()["error_code"] == "rate_limited"
    assert limited.headers["Retry-After"] == "1"
    assert client.get("/_emulator/health").status_code == 200  # emulator routes are exempt
    other = client.get("/prod/v2/deployments", headers={"Authorization": "Bearer another-account"})
    assert other.status_code == 200  # per account
    now[0] += 1.0
    assert client.get("/prod/v2/deployments").status_code == 200
    assert client.get("/prod/v2/deployments").status_code == 429
    app.configure(rate_limit_per_second=0.25)
    assert client.get("/prod/v2/deployments").headers["Retry-After"] == "4"


def test_rate_limit_can_be_configured_over_http(client: TestClient) -> None:
    response = client.post("/_emulator/config", json={"rate_limit_enabled": True, "rate_limit_burst": 1})
    assert response.json()["rate_limit_burst"] == 1
    codes = [client.get("/prod/v2/deployments").status_code for _ in range(3)]
    assert codes[0] == 200 and 429 in codes
    bad = client.post("/_emulator/config", json={"queue_seconds": -1})
    assert bad.status_code == 422
    assert client.post("/_emulator/config", json={"nope": 1}).status_code == 422


def test_error_fault(app: EmulatorApp, client: TestClient) -> None:
    app.faults.set(error_rate=1.0)
    response = client.get("/prod/v2/deployments")
    assert response.status_code == 500 and response.json()["error_code"] == 500001
    assert client.get("/_emulator/workflows").status_code == 200


def test_rate_limit_fault(app: EmulatorApp, client: TestClient) -> None:
    app.faults.set(rate_limit_rate=1.0)
    response = client.get("/prod/v2/deployments")
    assert response.status_code == 429 and "Retry-After" in response.headers


def test_latency_fault(app: EmulatorApp, client: TestClient) -> None:
    app.faults.set(latency_seconds=0.2)
    started = time.monotonic()
    assert client.get("/prod/v2/deployments").status_code == 200
    assert time.monotonic() - started >= 0.2


def test_drop_fault_in_process(app: EmulatorApp, client: TestClient) -> None:
    app.faults.set(drop_rate=1.0)
    with pytest.raises(ConnectionDropped):
        client.get("/prod/v2/deployments")


def test_scoping_by_method_and_path(app: EmulatorApp, client: TestClient) -> None:
    app.faults.set(error_rate=1.0, methods=["post"], path_prefix="/prod/v1/")
    assert client.get("/prod/v2/deployments").status_code == 200
    assert client.post("/prod/v2/deployments", json=CREATE).status_code == 200
    assert client.post("/prod/v1/deployments/x/inference", json={"overrides": {}}).status_code == 500
    assert FaultConfig(methods=("GET",)).applies_to("get", "/x")


def test_faults_are_seeded_and_deterministic(app: EmulatorApp, client: TestClient) -> None:
    def run() -> list[int]:
        app.faults.set(error_rate=0.5, seed=42)
        return [client.get("/prod/v2/deployments").status_code for _ in range(20)]

    first, second = run(), run()
    assert first == second and 500 in first and 200 in first


def test_fault_routes(client: TestClient) -> None:
    set_ = client.post("/_emulator/faults", json={"error_rate": 1, "seed": 7})
    assert set_.status_code == 200 and set_.json()["error_rate"] == 1
    assert client.get("/_emulator/faults").json()["seed"] == 7
    assert client.get("/prod/v2/deployments").status_code == 500
    assert client.delete("/_emulator/faults").json()["error_rate"] == 0
    assert client.get("/prod/v2/deployments").status_code == 200
    for bad in ({"error_rate": 2}, {"explode": 1}, {"ambiguous_create_mode": "maybe"}, {"latency_seconds": -1}):
        assert client.post("/_emulator/faults", json=bad).status_code == 422


def test_ambiguous_create_error_commits(app: EmulatorApp, client: TestClient) -> None:
    app.faults.set(ambiguous_create_rate=1.0)
    response = client.post("/prod/v2/deployments", json=CREATE)
    assert response.status_code == 500 and response.json()["error_code"] == 500001
    app.faults.clear()
    assert [d["name"] for d in client.get("/prod/v2/deployments").json()] == ["t2i"]


def test_ambiguous_create_drop_commits(app: EmulatorApp, client: TestClient) -> None:
    app.faults.set(ambiguous_create_rate=1.0, ambiguous_create_mode="drop")
    with pytest.raises(ConnectionDropped):
        client.post("/prod/v2/deployments", json=CREATE)
    app.faults.clear()
    assert len(client.get("/prod/v2/deployments").json()) == 1


def test_drops_over_real_http(tmp_path: Path) -> None:
    with EmbeddedEmulator(tmp_path) as emu:
        emu.register_workflow("wf-1", "v1", GRAPH)
        emu.configure(rate_limit_enabled=False)
        with httpx.Client(base_url=emu.base_url, headers=AUTH) as http:
            emu.set_faults(drop_rate=1.0)
            with pytest.raises(httpx.RemoteProtocolError):
                http.get("/prod/v2/deployments")
            emu.set_faults(ambiguous_create_rate=1.0, ambiguous_create_mode="drop")
            with pytest.raises(httpx.RemoteProtocolError):
                http.post("/prod/v2/deployments", json=CREATE)
            emu.faults.clear()
            assert len(http.get("/prod/v2/deployments").json()) == 1
