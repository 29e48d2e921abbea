"""RunComfyClient over respx: paths, bodies, parsing, the token's reach and secret-free errors."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx

from reconciler.retry import RetryPolicy
from reconciler.runcomfy import errors, wire
from reconciler.runcomfy.client import RunComfyClient
from reconciler.runcomfy.http import build_http_client
from reconciler.runcomfy.ratelimit import TokenBucket
from support.fake_time import FakeTime

BASE = "https://api.example.test"
TOKEN = "rc-live-TOKEN-0123456789abcdef"
DEP = {"id": "dep-1", "name": "t2i", "workflow_id": "wf-1", "workflow_version": "v1", "hardware": ["AMPERE_48"],
       "min_instances": 0, "max_instances": 1, "queue_size": 1, "keep_warm_duration_in_seconds": 60}


@pytest.fixture
def router() -> Iterator[respx.Router]:
    router = respx.Router(base_url=BASE)
    yield router
    router.assert_all_called()


def make_client(router: respx.Router, **kwargs: Any) -> RunComfyClient:
    t = FakeTime()
    http = build_http_client(base_url=BASE, token=TOKEN, verbose=2, transport=httpx.MockTransport(router.handler))
    limiter = TokenBucket(1.0, 5, clock=t.clock, sleep=t.sleep)
    return RunComfyClient(http, limiter=limiter, clock=t.clock, sleep=t.sleep, rng=lambda: 1.0, **kwargs)


@pytest.fixture
def client(router: respx.Router) -> RunComfyClient:
    return make_client(router)


def body_of(call: Any) -> Any:
    return json.loads(call.request.content)


@pytest.mark.parametrize("payload", [[DEP], {"deployments": [DEP]}])
def test_list_accepts_bare_and_wrapped(router: respx.Router, client: RunComfyClient, payload: Any) -> None:
    router.get("/prod/v2/deployments").respond(json=payload)
    assert [d.id for d in client.list_deployments()] == ["dep-1"]


def test_list_sends_includes_and_repeated_ids(router: respx.Router, client: RunComfyClient) -> None:
    route = router.get("/prod/v2/deployments").respond(json=[])
    client.list_deployments(include_payload=True, include_readme=True, ids=["a", "b"])
    params = route.calls.last.request.url.params
    assert params.get_list("includes") == ["payload", "readme"]
    assert params.get_list("ids") == ["a", "b"]


def test_get_deployment_with_payload(router: respx.Router, client: RunComfyClient) -> None:
    route = router.get("/prod/v2/deployments/dep-1").respond(
        json={**DEP, "hardware": "AMPERE_80", "payload": {"workflow_api_json": {"1": {}}}})
    deployment = client.get_deployment("dep-1", include_payload=True)
    assert deployment.hardware == ["AMPERE_80"]
    assert deployment.payload is not None and deployment.payload.workflow_api_json == {"1": {}}
    assert route.calls.last.request.url.params.get_list("includes") == ["payload"]


def test_error_sent_as_200_raises(router: respx.Router, client: RunComfyClient) -> None:
    router.get("/prod/v2/deployments/gone").respond(200, json={"error_code": 10003, "error_message": "deleted"})
    with pytest.raises(errors.DeploymentDeletedError, match=r"^GET /prod/v2/deployments/gone: 10003 deployment"):
        client.get_deployment("gone")


def test_unreadable_success_body_is_an_api_error(router: respx.Router, client: RunComfyClient) -> None:
    router.get("/prod/v2/deployments/dep-1").respond(json={"name": "no id"})
    with pytest.raises(errors.UnexpectedResponseError, match="id: Field required"):
        client.get_deployment("dep-1")


def test_create_posts_the_body_and_returns_the_record(router: respx.Router, client: RunComfyClient) -> None:
    route = router.post("/prod/v2/deployments").respond(json=DEP)
    body = wire.DeploymentCreate(name="t2i", workflow_id="wf-1", workflow_version="v1")
    assert client.create_deployment(body).id == "dep-1"
    assert body_of(route.calls.last)["hardware"] == ["AMPERE_48"]


def test_patch_always_carries_name_and_hardware_as_list(router: respx.Router, client: RunComfyClient) -> None:
    route = router.patch("/prod/v2/deployments/dep-1").respond(json=DEP)
    client.update_deployment("dep-1", name="t2i", changes={"hardware": "AMPERE_80", "max_instances": 3})
    assert body_of(route.calls.last) == {"name": "t2i", "hardware": ["AMPERE_80"], "max_instances": 3}
    client.update_deployment("dep-1", name="t2i", changes={"is_enabled": False})
    assert body_of(route.calls.last) == {"name": "t2i", "is_enabled": False}


def test_patch_can_rename(router: respx.Router, client: RunComfyClient) -> None:
    route = router.patch("/prod/v2/deployments/dep-1").respond(json=DEP)
    client.update_deployment("dep-1", name="old", changes={"name": "new"})
    assert body_of(route.calls.last) == {"name": "new"}


@pytest.mark.parametrize(("field", "match"), [("workflow_id", "cannot be changed in place"),
                                              ("replicas", "not patchable: replicas")])
def test_patch_rejects_unpatchable_fields_before_sending(router: respx.Router, client: RunComfyClient,
                                                         field: str, match: str) -> None:
    with pytest.raises(errors.UnpatchableFieldError, match=match):
        client.update_deployment("dep-1", name="t2i", changes={field: "x"})
    assert router.calls.call_count == 0


def test_delete_deployment(router: respx.Router, client: RunComfyClient) -> None:
    route = router.delete("/prod/v2/deployments/dep-1").respond(204)
    assert client.delete_deployment("dep-1") is None
    assert route.call_count == 1


def test_plain_404_on_delete_is_an_error(router: respx.Router, client: RunComfyClient) -> None:
    router.delete("/prod/v2/deployments/dep-1").respond(404, json={"error_code": 404001})
    with pytest.raises(errors.NotFoundError):
        client.delete_deployment("dep-1")


def test_queue_paths_follow_the_configured_version(router: respx.Router) -> None:
    client = make_client(router, queue_api_version="v2")
    router.post("/prod/v2/deployments/d/inference").respond(json={"request_id": "r"})
    router.get("/prod/v2/deployments/d/requests/r/status").respond(json={"request_id": "r", "status": "canceled"})
    router.get("/prod/v2/deployments/d/requests/r/result").respond(json={"status": "failed",
                                                                          "error": {"type": "E", "message": "m"}})
    router.post("/prod/v2/deployments/d/requests/r/cancel").respond(202, json={"status": "cancellation_requested"})
    router.delete("/prod/v2/deployments/d/requests/r").respond(json={"status": "deleted", "deleted_objects": 3})
    assert client.submit_inference("d", overrides={"6": {"inputs": {"text": "hi"}}}).request_id == "r"
    assert client.request_status("d", "r").status == "cancelled"
    assert client.request_result("d", "r").error[0].message == "m"
    assert client.cancel_request("d", "r").outcome == "requested"
    assert client.delete_request("d", "r").deleted_objects == 3


def test_submit_body_holds_only_given_fields(router: respx.Router, client: RunComfyClient) -> None:
    route = router.post("/prod/v1/deployments/d/inference").respond(json={"request_id": "r"})
    client.submit_inference("d", overrides={"6": {"inputs": {"seed": 1}}}, webhook="https://hook.example/x",
                            webhook_intermediate_status=False)
    assert body_of(route.calls.last) == {"overrides": {"6": {"inputs": {"seed": 1}}},
                                         "webhook": "https://hook.example/x", "webhook_intermediate_status": False}


def test_cancel_completed_shape(router: respx.Router, client: RunComfyClient) -> None:
    router.post("/prod/v1/deployments/d/requests/r/cancel").respond(
        202, json={"request_id": "r", "status": "completed", "outcome": "not_cancellable"})
    assert client.cancel_request("d", "r").outcome == "not_cancellable"


def test_delete_request_conflict_is_not_retried(router: respx.Router, client: RunComfyClient) -> None:
    route = router.delete("/prod/v1/deployments/d/requests/r").respond(409, json={"error_message": "running"})
    with pytest.raises(errors.ConflictError):
        client.delete_request("d", "r")
    assert route.call_count == 1


def test_proxy_posts_to_the_instance(router: respx.Router, client: RunComfyClient) -> None:
    route = router.post("/prod/v2/deployments/d/instances/i-1/proxy/api/free").respond(200)
    response = client.proxy("d", "i-1", "/api/free", json={"unload_models": True})
    assert response.status_code == 200 and body_of(route.calls.last) == {"unload_models": True}


def test_download_from_foreign_host_carries_no_token(router: respx.Router, client: RunComfyClient) -> None:
    route = router.get("https://cdn.other.test/out/a.png").respond(content=b"PNG")
    assert client.download("https://cdn.other.test/out/a.png?sig=abc") == b"PNG"
    assert "Authorization" not in route.calls.last.request.headers


def test_download_from_api_host_carries_the_token(router: respx.Router, client: RunComfyClient) -> None:
    route = router.get(f"{BASE}/files/a.png").respond(content=b"PNG")
    client.download(f"{BASE}/files/a.png")
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_download_follows_redirect_without_the_token(router: respx.Router, client: RunComfyClient) -> None:
    router.get(f"{BASE}/files/a.png").respond(302, headers={"Location": "https://cdn.other.test/a.png"})
    final = router.get("https://cdn.other.test/a.png").respond(content=b"PNG")
    assert client.download(f"{BASE}/files/a.png") == b"PNG"
    assert "Authorization" not in final.calls.last.request.headers


def test_download_error_names_host_and_path_not_the_query(router: respx.Router, client: RunComfyClient) -> None:
    router.get("https://cdn.other.test/a.png").respond(403, text="denied")
    with pytest.raises(errors.ForbiddenError) as caught:
        client.download("https://cdn.other.test/a.png?X-Amz-Signature=SIGSECRET")
    assert caught.value.summary.startswith("GET https://cdn.other.test/a.png: HTTP 403 forbidden")
    assert "SIGSECRET" not in caught.value.summary


def test_fetch_object_info_from_foreign_host(router: respx.Router, client: RunComfyClient) -> None:
    route = router.get("https://cdn.other.test/oi.json").respond(json={"KSampler": {"input": {}}})
    assert client.fetch_object_info("https://cdn.other.test/oi.json") == {"KSampler": {"input": {}}}
    assert "Authorization" not in route.calls.last.request.headers


def test_token_and_request_secrets_never_reach_errors_or_logs(
    router: respx.Router, client: RunComfyClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    comfy_key, hook = "comfyui-ORGKEY123456", "https://hooks.example/HOOKSECRET"
    router.post("/prod/v1/deployments/d/inference").respond(422, json={
        "error_code": 422001, "error_message": f"bad extra_data {comfy_key} for Bearer {TOKEN}",
        "detail": [{"loc": ["body", "webhook"], "msg": f"unreachable {hook}", "input": {"webhook": hook}}],
    })
    router.get("/prod/v2/deployments/x").respond(401, json={"error_code": 401001, "error_message": f"bad {TOKEN}"})
    router.get("/prod/v2/deployments/y").mock(side_effect=httpx.ConnectError(f"refused {TOKEN}"))
    raised: list[errors.ApiError] = []
    with pytest.raises(errors.ValidationError) as caught:
        client.submit_inference("d", overrides={}, extra_data={"api_key_comfy_org": comfy_key}, webhook=hook)
    raised.append(caught.value)
    with pytest.raises(errors.AuthenticationError) as caught_auth:
        client.get_deployment("x")
    raised.append(caught_auth.value)
    client.policy = type(client.policy)(max_attempts=1)
    with pytest.raises(errors.TransportError) as caught_conn:
        client.get_deployment("y")
    raised.append(caught_conn.value)
    for error in raised:
        texts = (str(error), error.summary, error.detail, error.message, repr(error.api_detail), repr(error.args))
        for text in texts:
            assert TOKEN not in text and comfy_key not in text and "HOOKSECRET" not in text
    assert caplog.records, "expected the client and http loggers to log"
    for record in caplog.records:
        message = record.getMessage()
        assert TOKEN not in message and comfy_key not in message and "HOOKSECRET" not in message


def test_wall_clock_is_used_for_http_date_without_a_date_header(router: respx.Router) -> None:
    now = datetime(2025, 7, 22, 13, 0, 0, tzinfo=UTC)
    client = make_client(router, wall_clock=lambda: now)
    router.get("/prod/v2/deployments").mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "Tue, 22 Jul 2025 13:00:04 GMT"}), httpx.Response(200, json=[]),
    ])
    before = client.limiter._clock()  # type: ignore[attr-defined]
    client.list_deployments()
    assert client.limiter._clock() - before == pytest.approx(4.0)  # type: ignore[attr-defined]


def test_masked_values_are_scrubbed_from_api_errors(router: respx.Router) -> None:
    client = make_client(router)
    client.mask(["wf-private-workflow-id"])
    router.post("/prod/v2/deployments").mock(return_value=httpx.Response(422, json={
        "error_code": 422001, "error_message": "workflow wf-private-workflow-id is unknown",
        "detail": [{"loc": ["body", "workflow_id"], "msg": "wf-private-workflow-id not found"}]}))
    body = wire.DeploymentCreate(name="t2i", workflow_id="wf-private-workflow-id", workflow_version="v1",
                                 hardware=["AMPERE_48"])
    with pytest.raises(errors.ValidationError) as caught:
        client.create_deployment(body)
    assert "wf-private-workflow-id" not in caught.value.summary + caught.value.detail
    assert caught.value.summary.endswith("workflow *** is unknown: body.workflow_id: *** not found")


def test_a_connection_error_names_the_host_and_port(router: respx.Router) -> None:
    client = make_client(router, retry=RetryPolicy(max_attempts=1))
    router.get("/prod/v2/deployments").mock(side_effect=httpx.ConnectError("[Errno 111] Connection refused"))
    with pytest.raises(errors.TransportError) as caught:
        client.list_deployments()
    assert caught.value.summary == ("GET /prod/v2/deployments: transport error: could not connect to "
                                    "api.example.test:443 (ConnectError: [Errno 111] Connection refused)")


def test_proxy_passes_a_query_on_and_returns_a_plain_answer(router: respx.Router, client: RunComfyClient) -> None:
    route = router.get("/prod/v2/deployments/d/instances/i-1/proxy/view").respond(
        content=b"PNG", headers={"content-type": "image/png"})
    answer = client.proxy("d", "i-1", "view?filename=a%20b.png&type=output", method="GET")
    assert route.calls.last.request.url.query == b"filename=a%20b.png&type=output"
    assert (answer.status_code, answer.content, answer.is_json) == (200, b"PNG", False)


def test_free_instance_sends_only_the_flags_set(router: respx.Router, client: RunComfyClient) -> None:
    route = router.post("/prod/v2/deployments/d/instances/i-1/proxy/api/free").respond(200)
    client.free_instance("d", "i-1", unload_models=True, free_memory=False)
    assert body_of(route.calls.last) == {"unload_models": True}


def test_submit_without_overrides_sends_the_empty_object(router: respx.Router, client: RunComfyClient) -> None:
    """RunComfy refuses an inference body without ``overrides`` (422001): ``{}`` runs the saved workflow as is."""
    route = router.post("/prod/v1/deployments/d/inference").respond(json={"request_id": "r"})
    client.submit_inference("d")
    assert body_of(route.calls.last) == {"overrides": {}}
    client.submit_inference("d", workflow_api_json={"1": {"class_type": "X", "inputs": {}}})
    assert body_of(route.calls.last) == {"workflow_api_json": {"1": {"class_type": "X", "inputs": {}}}}
