"""`request`, `proxy` and `free` against a respx-mocked API: the 404 / 409 / not_cancellable paths, exactly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

BASE = "https://api.example.test"
DEP = {"id": "dep-1", "name": "t2i", "workflow_id": "wf", "workflow_version": "v1", "hardware": ["AMPERE_48"],
       "keep_warm_duration_in_seconds": 45}
QUEUE = f"{BASE}/prod/v1/deployments/dep-1/requests/r-1"
PROXY = f"{BASE}/prod/v2/deployments/dep-1/instances/i-1/proxy"


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[respx.Router]:
    monkeypatch.setenv("RUNCOMFY_API_TOKEN", "rc-test-token-0123456789")
    monkeypatch.setenv("RUNCOMFY_API_URL", BASE)
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.get(f"{BASE}/prod/v2/deployments").respond(json=[DEP])
        yield router


def test_cancel_not_cancellable_is_said_plainly(api: respx.Router, run_cli: Any) -> None:
    api.post(f"{QUEUE}/cancel").respond(202, json={"request_id": "r-1", "status": "completed",
                                                   "outcome": "not_cancellable"})
    result = run_cli("request", "cancel", "t2i", "r-1")
    assert result.code == 0
    assert result.out == ("Request r-1 of t2i: not cancellable: it has already finished (or can no longer be "
                          "stopped); nothing changed.\n")


def test_cancel_accepts_the_cancellation_requested_shape(api: respx.Router, run_cli: Any) -> None:
    api.post(f"{QUEUE}/cancel").respond(202, json={"request_id": "r-1", "status": "cancellation_requested"})
    result = run_cli("request", "cancel", "dep-1", "r-1", "--format", "json")
    assert result.code == 0 and json.loads(result.out)["outcome"] == "requested"


def test_delete_409_explains_cancel_first(api: respx.Router, run_cli: Any) -> None:
    route = api.delete(QUEUE).respond(409, json={"error_code": 409001, "error_message": "still running"})
    result = run_cli("request", "delete", "t2i", "r-1")
    assert result.code == 1 and result.out == ""
    assert result.err.splitlines() == [
        "error: request r-1 of t2i is still running (409001 conflict: still running): only a finished request's "
        "assets can be deleted",
        "  Cancel it first: comfyops --api-url https://api.example.test request cancel t2i r-1",
        "  then delete it: comfyops --api-url https://api.example.test request delete t2i r-1",
    ]
    assert route.call_count == 1  # a conflict is not retried


def test_delete_409_without_a_body_is_explained_too(api: respx.Router, run_cli: Any) -> None:
    api.delete(QUEUE).respond(409)
    result = run_cli("request", "delete", "t2i", "r-1")
    assert result.code == 1 and "is still running (HTTP 409 conflict" in result.err and "Cancel it first" in result.err


def test_delete_zero_objects_is_a_success(api: respx.Router, run_cli: Any) -> None:
    api.delete(QUEUE).respond(json={"request_id": "r-1", "status": "deleted", "deleted_objects": 0})
    result = run_cli("request", "delete", "t2i", "r-1")
    assert result.code == 0 and "deleted 0 stored objects (nothing was left to delete" in result.out


@pytest.mark.parametrize("sub", ["status", "result", "cancel", "delete"])
def test_unknown_request_404(api: respx.Router, run_cli: Any, sub: str) -> None:
    body = {"error_code": 404001, "error_message": "Request not found"}
    method, url = {"status": ("GET", f"{QUEUE}/status"), "result": ("GET", f"{QUEUE}/result"),
                   "cancel": ("POST", f"{QUEUE}/cancel"), "delete": ("DELETE", QUEUE)}[sub]
    api.route(method=method, url=url).respond(404, json=body)
    result = run_cli("request", sub, "t2i", "r-1")
    assert result.code == 1
    assert result.err.startswith("error: no request r-1 on deployment t2i (404001 not found: Request not found)")


def test_unknown_deployment_gets_a_did_you_mean_after_one_list_call(api: respx.Router, run_cli: Any) -> None:
    result = run_cli("request", "status", "t2", "r-1")
    assert result.code == 1 and "no live deployment has the name or id 't2'" in result.err
    assert "did you mean 't2i'?" in result.err
    assert len(api.calls) == 1


def test_proxy_runcomfy_404_is_the_lifecycle_message(api: respx.Router, run_cli: Any) -> None:
    api.post(f"{PROXY}/api/free").respond(404, json={"error_code": 404001, "error_message": "Instance not found"})
    result = run_cli("proxy", "t2i", "i-1", "api/free", "--data", '{"unload_models": true}')
    assert result.code == 1 and result.out == ""
    lines = result.err.splitlines()
    assert lines[0] == "error: instance i-1 of t2i is not running (404001 not found: Instance not found)"
    assert "Instance ids are valid only while their instance runs" in lines[1] and "after 45s" in lines[1]
    assert "comfyops --api-url https://api.example.test run t2i" in lines[2]
    assert json.loads(api.calls[-1].request.content) == {"unload_models": True}


def test_proxy_comfyui_404_is_not_mistaken_for_a_dead_instance(api: respx.Router, run_cli: Any) -> None:
    api.post(f"{PROXY}/nope").respond(404, text="404: Not Found")
    result = run_cli("proxy", "t2i", "i-1", "nope")
    assert result.code == 1
    assert result.err.startswith("error: ComfyUI on instance i-1 has no route 'nope' (404: Not Found)")
    assert "not running" not in result.err


@pytest.mark.parametrize("status", [410, 502])
def test_proxy_gone_or_unreachable_instance(api: respx.Router, run_cli: Any, status: int) -> None:
    api.post(f"{PROXY}/system_stats").respond(status)
    result = run_cli("proxy", "t2i", "i-1", "system_stats")
    assert result.code == 1 and "error: instance i-1 of t2i is not running" in result.err


def test_proxy_prints_json_and_sends_get_when_asked(api: respx.Router, run_cli: Any) -> None:
    route = api.get(f"{PROXY}/system_stats").respond(json={"devices": [{"type": "cuda"}]})
    result = run_cli("proxy", "t2i", "i-1", "system_stats", "--method", "GET")
    assert result.code == 0 and json.loads(result.out) == {"devices": [{"type": "cuda"}]}
    assert route.call_count == 1 and route.calls.last.request.content == b""


def test_free_sends_the_flags_as_the_body(api: respx.Router, run_cli: Any) -> None:
    route = api.post(f"{PROXY}/api/free").mock(return_value=httpx.Response(200))
    result = run_cli("free", "t2i", "i-1", "--free-memory")
    assert result.code == 0 and result.out == "Freed instance i-1 of t2i: memory freed.\n"
    assert json.loads(route.calls.last.request.content) == {"free_memory": True}


def test_proxy_passes_a_query_on(api: respx.Router, run_cli: Any) -> None:
    api.get(f"{PROXY}/view").respond(text="hello", headers={"content-type": "text/plain"})
    result = run_cli("proxy", "t2i", "i-1", "view?filename=x.png", "--method", "GET")
    assert (result.code, result.out) == (0, "hello\n")
    assert api.calls.last.request.url.params["filename"] == "x.png"


def test_binary_answers_are_written_as_bytes(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    from reconciler.cli.proxy import show
    from reconciler.runcomfy.wire import ProxyAnswer

    png = b"\x89PNG\r\n\x1a\n\x00\xff"
    show(ProxyAnswer(200, png, "image/png"))
    assert capsysbinary.readouterr().out == png


def test_a_post_without_data_sends_an_empty_json_object(api: respx.Router, run_cli: Any) -> None:
    route = api.post(f"{PROXY}/object_info").respond(json={"KSampler": {}})
    assert run_cli("proxy", "t2i", "i-1", "object_info").code == 0
    request = route.calls.last.request
    assert request.content == b"{}" and request.headers["content-type"] == "application/json"
