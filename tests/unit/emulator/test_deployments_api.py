"""Deployment routes: auth, create/list/get/patch/delete and every validation error."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette asks for httpx2; httpx works
    from starlette.testclient import TestClient

from reconciler import catalog
from reconciler.emulator.app import create_app
from reconciler.emulator.clock import FakeClock

AUTH = {"Authorization": "Bearer test-token"}
GRAPH: dict[str, Any] = {
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 640, "height": 384, "batch_size": 1}},
    "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": "x"}},
}
BASE = {"name": "t2i", "workflow_id": "wf-1", "workflow_version": "v1"}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(tmp_path / "state", clock=FakeClock())
    app.register_workflow("wf-1", "v1", GRAPH)
    app.register_workflow("wf-1", "v2", GRAPH)
    app.configure(rate_limit_enabled=False)
    with TestClient(app, headers=AUTH) as test_client:
        yield test_client


def _create(client: TestClient, **fields: Any) -> dict[str, Any]:
    response = client.post("/prod/v2/deployments", json={**BASE, **fields})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _error(response: Any, status: int, code: int | str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error_code"] == code
    assert body["error_message"]
    return body


@pytest.mark.parametrize(
    "header", [{}, {"Authorization": ""}, {"Authorization": "Bearer "}, {"Authorization": "Basic x"}]
)
def test_auth_is_required(client: TestClient, header: dict[str, str]) -> None:
    client.headers.pop("Authorization")
    _error(client.get("/prod/v2/deployments", headers=header), 401, catalog.ERROR_UNAUTHORIZED)


def test_pinned_token(tmp_path: Path) -> None:
    app = create_app(tmp_path, required_token="secret")
    with TestClient(app) as test_client:
        _error(test_client.get("/prod/v2/deployments", headers=AUTH), 401, 401001)
        assert test_client.get("/prod/v2/deployments", headers={"Authorization": "Bearer secret"}).json() == []


def test_create_applies_catalog_defaults(client: TestClient) -> None:
    body = _create(client)
    assert body["hardware"] == [catalog.DEFAULT_HARDWARE]
    assert body["min_instances"] == catalog.DEFAULT_MIN_INSTANCES
    assert body["max_instances"] == catalog.DEFAULT_MAX_INSTANCES
    assert body["queue_size"] == catalog.DEFAULT_QUEUE_SIZE
    assert body["keep_warm_duration_in_seconds"] == catalog.DEFAULT_KEEP_WARM_SECONDS
    assert body["is_enabled"] is True and body["status"] == "standby"
    assert body["created_at"].endswith("+00:00") and body["updated_at"] == body["created_at"]
    assert len(body["id"]) == 36 and "payload" not in body and "readme" not in body


@pytest.mark.parametrize("hardware", ["AMPERE_80", ["AMPERE_80"]])
def test_hardware_string_or_one_element_list(client: TestClient, hardware: Any) -> None:
    assert _create(client, hardware=hardware)["hardware"] == ["AMPERE_80"]


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"hardware": ["AMPERE_80", "AMPERE_48"]}, "hardware"),
        ({"hardware": []}, "hardware"),
        ({"hardware": "RTX_9090"}, "hardware"),
        ({"min_instances": -1}, "min_instances"),
        ({"min_instances": 31}, "min_instances"),
        ({"max_instances": 0}, "max_instances"),
        ({"max_instances": 61}, "max_instances"),
        ({"min_instances": 3, "max_instances": 2}, "max_instances"),
        ({"queue_size": 0}, "queue_size"),
        ({"keep_warm_duration_in_seconds": -5}, "keep_warm_duration_in_seconds"),
        ({"min_instances": True}, "min_instances"),
        ({"max_instances": 1.5}, "max_instances"),
        ({"is_enabled": "yes"}, "is_enabled"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"workflow_id": "nope"}, "workflow_id"),
        ({"workflow_version": "v9"}, "workflow_version"),
        ({"workflow_version": 3}, "workflow_version"),
    ],
)
def test_create_validation_errors(client: TestClient, fields: dict[str, Any], loc: str) -> None:
    body = _error(client.post("/prod/v2/deployments", json={**BASE, **fields}), 422, 422001)
    assert loc in [item["loc"][-1] for item in body["detail"]]
    assert client.get("/prod/v2/deployments").json() == []


@pytest.mark.parametrize("missing", ["name", "workflow_id", "workflow_version"])
def test_create_requires_fields(client: TestClient, missing: str) -> None:
    body = {k: v for k, v in BASE.items() if k != missing}
    detail = _error(client.post("/prod/v2/deployments", json=body), 422, 422001)["detail"]
    assert detail[0]["loc"] == ["body", missing]


def test_create_rejects_non_object_and_bad_json(client: TestClient) -> None:
    _error(client.post("/prod/v2/deployments", json=[1]), 422, 422001)
    _error(client.post("/prod/v2/deployments", content=b"{nope"), 422, 422001)


def test_ranges_accept_the_documented_bounds(client: TestClient) -> None:
    body = _create(client, min_instances=30, max_instances=60, queue_size=1, keep_warm_duration_in_seconds=0)
    assert (body["min_instances"], body["max_instances"]) == (30, 60)


def test_duplicate_names_are_allowed(client: TestClient) -> None:
    first, second = _create(client), _create(client)
    assert first["id"] != second["id"]
    assert [d["name"] for d in client.get("/prod/v2/deployments").json()] == ["t2i", "t2i"]


def test_list_filters_and_includes(client: TestClient) -> None:
    a, b, c = _create(client, name="a"), _create(client, name="b"), _create(client, name="c")
    listed = client.get("/prod/v2/deployments").json()
    assert isinstance(listed, list) and {d["id"] for d in listed} == {a["id"], b["id"], c["id"]}
    filtered = client.get("/prod/v2/deployments", params=[("ids", a["id"]), ("ids", c["id"])]).json()
    assert {d["name"] for d in filtered} == {"a", "c"}
    plain = client.get("/prod/v2/deployments", params={"ids": b["id"]}).json()[0]
    assert "payload" not in plain and "readme" not in plain
    both = client.get("/prod/v2/deployments", params=[("includes", "payload"), ("includes", "readme")]).json()[0]
    assert both["payload"]["workflow_api_json"] == GRAPH and both["payload"]["overrides"] == {}
    assert both["readme"].startswith("# ")
    info = client.get(both["payload"]["object_info_url"]).json()
    assert info["EmptyLatentImage"]["input"]["required"]["width"][0] == "INT"
    assert info["SaveImage"]["output_node"] is True
    # every output a link reads exists (as "*"), so the workflow checks find its links sound
    assert info["EmptyLatentImage"]["output"] == [] and info["SaveImage"]["output"] == []  # no link reads them


def test_get_one(client: TestClient) -> None:
    created = _create(client)
    got = client.get(f"/prod/v2/deployments/{created['id']}").json()
    assert got == created
    with_payload = client.get(f"/prod/v2/deployments/{created['id']}", params={"includes": "payload"}).json()
    assert with_payload["payload"]["workflow_api_json"]["5"]["class_type"] == "EmptyLatentImage"
    _error(client.get("/prod/v2/deployments/00000000-0000-0000-0000-000000000000"), 404, 404001)


def test_patch(
    client: TestClient,
) -> None:
    created = _create(client)
    url = f"/prod/v2/deployments/{created['id']}"
    body = _error(client.patch(url, json={"min_instances": 1}), 422, 422001)
    assert body["error_message"] == "Deployment name is required"
    _error(client.patch(url, json={"name": "t2i", "workflow_id": "wf-1"}), 422, 422001)
    _error(client.patch(url, json={"name": "t2i", "workflow_version": "v7"}), 422, 422001)
    _error(client.patch(url, json={"name": "t2i", "min_instances": 2}), 422, 422001)  # > max 1 after merge
    _error(client.patch(url, json={"name": "t2i", "hardware": ["A", "B"]}), 422, 422001)
    patched = client.patch(
        url,
        json={
            "name": "renamed",
            "workflow_version": "v2",
            "hardware": "HOPPER_141",
            "max_instances": 3,
            "min_instances": 2,
            "is_enabled": False,
        },
    ).json()
    assert patched["name"] == "renamed" and patched["workflow_version"] == "v2"
    assert patched["hardware"] == ["HOPPER_141"] and patched["is_enabled"] is False
    assert patched["created_at"] == created["created_at"]
    assert client.get(url).json() == patched


def test_delete_then_10003(client: TestClient) -> None:
    created = _create(client)
    url = f"/prod/v2/deployments/{created['id']}"
    deleted = client.delete(url)
    assert deleted.status_code == 200 and deleted.json()["status"] == "deleted"
    assert client.get("/prod/v2/deployments").json() == []
    for response in (
        client.get(url),
        client.patch(url, json={"name": "x"}),
        client.delete(url),
        client.post(f"/prod/v1/deployments/{created['id']}/inference", json={"overrides": {}}),
    ):
        _error(response, 404, catalog.ERROR_DEPLOYMENT_DELETED)


def test_unknown_route_and_method(client: TestClient) -> None:
    _error(client.get("/prod/v9/nothing"), 404, 404001)
    _error(client.put("/prod/v2/deployments"), 405, 405001)


def test_the_inferred_object_info_declares_every_output_a_link_reads() -> None:
    from reconciler.emulator.workflows import object_info

    info = object_info({"1": {"class_type": "A", "inputs": {}}, "2": {"class_type": "B", "inputs": {"x": ["1", 2]}}})
    assert info["A"]["output"] == ["*", "*", "*"] and info["B"]["output"] == []
