"""Queue routes: lifecycle on a fake clock, overrides, outputs with real bytes, cancel, delete, proxy."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator.app import EmulatorApp, create_app
from reconciler.emulator.clock import FakeClock
from reconciler.smoke import media

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette asks for httpx2; httpx works
    from starlette.testclient import TestClient

AUTH = {"Authorization": "Bearer test-token"}
GRAPH: dict[str, Any] = {
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd15.safetensors"}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 640, "height": 384, "batch_size": 2}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a cat", "clip": ["4", 1]}},
    "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": "x"}},
    "38:42": {"class_type": "VHS_VideoCombine", "inputs": {"images": ["8", 0], "frame_rate": 8}},
    "50": {"class_type": "ShowText|pysssss", "inputs": {"text": ["6", 0]}},
}


class Env:
    """A test client plus the app and its fake clock."""

    def __init__(self, app: EmulatorApp, client: TestClient, clock: FakeClock) -> None:
        self.app, self.client, self.clock = app, client, clock

    def deployment(self, **fields: Any) -> str:
        body = {"name": "t2i", "workflow_id": "wf-1", "workflow_version": "v1", **fields}
        response = self.client.post("/prod/v2/deployments", json=body)
        assert response.status_code == 200, response.text
        return str(response.json()["id"])

    def submit(self, deployment_id: str, body: Any = None, version: str = "v1") -> dict[str, Any]:
        body = body or {"overrides": {}}
        response = self.client.post(f"/prod/{version}/deployments/{deployment_id}/inference", json=body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def get(self, url: str) -> dict[str, Any]:
        response = self.client.get(url)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    clock = FakeClock()
    app = create_app(tmp_path / "state", clock=clock)
    app.register_workflow("wf-1", "v1", GRAPH)
    app.configure(rate_limit_enabled=False, queue_seconds=1, run_seconds=2)
    with TestClient(app, headers=AUTH) as client:
        yield Env(app, client, clock)


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_lifecycle_and_result(env: Env, version: str) -> None:
    dep = env.deployment()
    sub = env.submit(dep, {"overrides": {"6": {"inputs": {"text": "a dog"}}}}, version=version)
    assert (
        sub["status_url"] == f"http://testserver/prod/{version}/deployments/{dep}/requests/{sub['request_id']}/status"
    )
    assert sub["result_url"].endswith("/result") and sub["cancel_url"].endswith("/cancel")
    status = env.get(sub["status_url"])
    assert status["status"] == "in_queue" and status["queue_position"] == 0 and "instance_id" not in status
    assert env.get(sub["result_url"])["status"] == "in_queue"
    env.clock.advance(1.5)
    status = env.get(sub["status_url"])
    assert status["status"] == "in_progress" and status["instance_id"].startswith("instance-")
    partial = env.get(sub["result_url"])
    assert partial["status"] == "in_progress" and "outputs" not in partial
    env.clock.advance(2)
    assert env.get(sub["status_url"])["status"] == "completed"
    result = env.get(sub["result_url"])
    assert result["status"] == "succeeded" and result["instance_id"] == status["instance_id"]
    assert result["created_at"].endswith("+00:00") and result["finished_at"] > result["created_at"]
    images = result["outputs"]["9"]["images"]
    assert len(images) == 2 and images[0]["subfolder"] == "" and images[0]["type"] == "output"
    png = env.client.get(images[0]["url"])
    assert png.headers["content-type"] == "image/png" and media.inspect(png.content)[1:] == (640, 384)
    video = result["outputs"]["38:42"]["gifs"][0]
    assert video["filename"].endswith(".mp4")
    assert media.inspect(env.client.get(video["url"]).content)[1:] == (640, 384)
    assert result["outputs"]["50"] == {"text": ["emulated text from node 50"]}


def test_overridden_size_and_defaults(env: Env) -> None:
    dep = env.deployment()
    sub = env.submit(dep, {"overrides": {"5": {"inputs": {"width": 256, "height": 128, "batch_size": 1}}}})
    env.clock.advance(10)
    images = env.get(sub["result_url"])["outputs"]["9"]["images"]
    assert len(images) == 1
    assert media.inspect(env.client.get(images[0]["url"]).content)[1:] == (256, 128)
    inline = {"1": {"class_type": "PreviewImage", "inputs": {"images": ["2", 0]}}}
    sub = env.submit(dep, {"workflow_api_json": inline})
    env.clock.advance(10)
    only = env.get(sub["result_url"])["outputs"]
    assert list(only) == ["1"]
    assert media.inspect(env.client.get(only["1"]["images"][0]["url"]).content)[1:] == (512, 512)


def test_queue_positions(env: Env) -> None:
    dep = env.deployment()
    first = env.submit(dep)
    env.clock.advance(0.1)
    second = env.submit(dep)
    assert env.get(second["status_url"])["queue_position"] == 1
    env.clock.advance(0.95)
    assert env.get(first["status_url"])["status"] == "in_progress"
    assert env.get(second["status_url"])["queue_position"] == 0


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"99": {"inputs": {"text": "x"}}}, "'99'"),
        ({"6": {"inputs": {"prompt": "x"}}}, "'prompt'"),
        ({"6": {"inputs": {"clip": "a string"}}}, "link"),
        ({"6": {"text": "no inputs wrapper"}}, "inputs"),
        (["not", "an", "object"], "object"),
    ],
)
def test_override_validation(env: Env, overrides: Any, fragment: str) -> None:
    dep = env.deployment()
    response = env.client.post(f"/prod/v1/deployments/{dep}/inference", json={"overrides": overrides})
    assert response.status_code == 422 and response.json()["error_code"] == 422001
    assert any(fragment in item["msg"] for item in response.json()["detail"])


def test_link_may_be_replaced_by_a_link_and_bad_bodies(env: Env) -> None:
    dep = env.deployment()
    env.submit(dep, {"overrides": {"6": {"inputs": {"clip": ["4", 0]}}}})
    for body in ({"workflow_api_json": {"1": {"inputs": {}}}}, {"extra_data": "x"}, {"webhook": 5}):
        assert env.client.post(f"/prod/v1/deployments/{dep}/inference", json=body).status_code == 422
    assert env.client.post(f"/prod/v1/deployments/{dep}/inference", json=[1]).status_code == 422


def test_failed_run(env: Env) -> None:
    dep = env.deployment()
    env.client.post("/_emulator/config", json={"fail_next_runs": 1})
    failed, ok = env.submit(dep), env.submit(dep)
    env.clock.advance(60)
    result = env.get(failed["result_url"])
    assert result["status"] == "failed" and "outputs" not in result
    assert set(result["error"]) == {"type", "message"}
    assert env.get(ok["result_url"])["status"] == "succeeded"


def test_cancel(env: Env) -> None:
    dep = env.deployment()
    queued, running, done = env.submit(dep), None, None
    response = env.client.post(queued["cancel_url"])
    assert response.status_code == 202
    assert response.json() == {"request_id": queued["request_id"], "status": "completed", "outcome": "cancelled"}
    assert env.get(queued["status_url"])["status"] == "cancelled"
    result = env.get(queued["result_url"])
    assert result["status"] == "cancelled" and "outputs" not in result and result["finished_at"]
    running = env.submit(dep)
    env.clock.advance(1.5)
    assert env.client.post(running["cancel_url"]).json()["outcome"] == "cancelled"
    done = env.submit(dep)
    env.clock.advance(5)
    assert env.client.post(done["cancel_url"]).json()["outcome"] == "not_cancellable"
    assert env.client.post(queued["cancel_url"]).json()["outcome"] == "not_cancellable"


def test_delete_request(env: Env) -> None:
    dep = env.deployment()
    sub = env.submit(dep, {"overrides": {"6": {"inputs": {"text": "data:image/png;base64,AAAA"}}}})
    delete_url = sub["status_url"].removesuffix("/status")
    assert env.client.delete(delete_url).status_code == 409
    env.clock.advance(1.5)
    assert env.client.delete(delete_url).status_code == 409
    env.clock.advance(5)
    url = env.get(sub["result_url"])["outputs"]["9"]["images"][0]["url"]
    assert env.client.get(url).status_code == 200
    first = env.client.delete(delete_url)
    assert first.status_code == 200
    assert first.json() == {"request_id": sub["request_id"], "status": "deleted", "deleted_objects": 1 + 3}
    assert env.client.delete(delete_url).json()["deleted_objects"] == 0
    assert env.client.get(url).status_code == 404
    assert env.get(sub["result_url"])["outputs"] == {}
    assert env.get(sub["status_url"])["status"] == "completed"


def test_unknown_requests_and_deployments(env: Env) -> None:
    dep, other = env.deployment(), env.deployment(name="other")
    sub = env.submit(dep)
    wrong = sub["status_url"].replace(dep, other)
    assert env.client.get(wrong).json()["error_code"] == 404001
    assert env.client.get(f"/prod/v1/deployments/{dep}/requests/nope/status").status_code == 404
    assert env.client.post("/prod/v1/deployments/nope/inference", json={"overrides": {}}).json()["error_code"] == 404001
    assert env.client.get("/_emulator/outputs/nope/x.png").status_code == 404


def test_disabled_deployment(env: Env) -> None:
    dep = env.deployment()
    running = env.submit(dep)
    env.clock.advance(1.5)
    env.client.patch(f"/prod/v2/deployments/{dep}", json={"name": "t2i", "is_enabled": False})
    response = env.client.post(f"/prod/v1/deployments/{dep}/inference", json={"overrides": {}})
    assert response.status_code == 403 and response.json()["error_code"] == 10002
    result = env.get(running["result_url"])
    assert result["status"] == "failed" and result["error"]["type"] == "deployment_disabled"


def test_deleted_deployment_request_routes(env: Env) -> None:
    dep = env.deployment()
    sub = env.submit(dep)
    env.client.delete(f"/prod/v2/deployments/{dep}")
    response = env.client.get(sub["status_url"])
    assert response.status_code == 404 and response.json()["error_code"] == 10003


def test_instance_proxy(env: Env) -> None:
    dep = env.deployment(keep_warm_duration_in_seconds=10)
    sub = env.submit(dep)
    proxy = f"/prod/v2/deployments/{dep}/instances/{{}}/proxy/api/free"
    assert env.client.post(proxy.format("instance-unknown"), json={}).status_code == 404
    env.clock.advance(1.5)
    instance = env.get(sub["status_url"])["instance_id"]
    response = env.client.post(proxy.format(instance), json={"unload_models": True, "free_memory": True})
    assert response.status_code == 200 and response.content == b""
    info = env.client.get(f"/prod/v2/deployments/{dep}/instances/{instance}/proxy/object_info")
    assert "SaveImage" in info.json()
    env.clock.advance(5)  # finished at +3, warm until +13
    assert env.client.post(proxy.format(instance), json={}).status_code == 200
    second = env.submit(dep)
    env.clock.advance(1.1)
    assert env.get(second["status_url"])["instance_id"] == instance  # reused while warm
    env.clock.advance(100)
    response = env.client.post(proxy.format(instance), json={})
    assert response.status_code == 404 and response.json()["error_code"] == 404001


@pytest.mark.parametrize("body", [{}, {"extra_data": {}}, {"overrides": None}])
def test_a_body_without_the_overrides_object_is_refused_like_runcomfy(env: Env, body: dict[str, Any]) -> None:
    """RunComfy's error-codes page lists a missing ``overrides`` first among its 422001s (REFERENCE.md)."""
    dep = env.deployment()
    response = env.client.post(f"/prod/v1/deployments/{dep}/inference", json=body)
    assert response.status_code == 422, response.text
    data = response.json()
    assert data["error_code"] == 422001
    assert [item["loc"] for item in data["detail"]] == [["body", "overrides"]]
    assert env.client.post(f"/prod/v1/deployments/{dep}/inference", json={"overrides": {}}).status_code == 200
