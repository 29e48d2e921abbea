"""wire: the models accept every documented variant and normalise it."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.runcomfy import wire

DEPLOYMENT: dict[str, Any] = {
    "id": "a1b2", "name": "text-to-image", "workflow_id": "wf-1", "workflow_version": "v1",
    "hardware": ["AMPERE_48"], "min_instances": 0, "max_instances": 1, "queue_size": 1,
    "keep_warm_duration_in_seconds": 60, "status": "standby", "is_enabled": True,
    "created_at": "2025-07-22T13:05:16.143086+00:00",
}


@pytest.mark.parametrize("hardware", ["AMPERE_48", ["AMPERE_48"]])
def test_hardware_string_or_list_becomes_a_list(hardware: Any) -> None:
    assert wire.Deployment.model_validate({**DEPLOYMENT, "hardware": hardware}).hardware == ["AMPERE_48"]


def test_deployment_tolerates_omitted_and_unknown_fields() -> None:
    deployment = wire.Deployment.model_validate({"id": "x", "name": "n", "brand_new_field": 3})
    assert deployment.hardware == [] and deployment.min_instances is None and deployment.payload is None
    assert deployment.model_extra == {"brand_new_field": 3}


def test_deployment_payload_and_readme() -> None:
    deployment = wire.Deployment.model_validate({
        **DEPLOYMENT, "readme": "# hi",
        "payload": {"workflow_api_json": {"6": {"class_type": "CLIPTextEncode", "inputs": {}}},
                    "overrides": {}, "object_info_url": "https://cdn.example/oi.json"},
    })
    assert deployment.payload is not None
    assert deployment.payload.workflow_api_json == {"6": {"class_type": "CLIPTextEncode", "inputs": {}}}
    assert deployment.payload.object_info_url == "https://cdn.example/oi.json"
    assert deployment.readme == "# hi"


@pytest.mark.parametrize("data", [[DEPLOYMENT], {"deployments": [DEPLOYMENT]}])
def test_list_is_a_bare_array_or_wrapped(data: Any) -> None:
    assert [d.id for d in wire.parse_deployment_list(data)] == ["a1b2"]


def test_list_of_something_else_is_rejected() -> None:
    with pytest.raises(ValueError, match="expected a JSON array"):
        wire.parse_deployment_list({"items": []})


def test_create_body_defaults_and_hardware_list() -> None:
    body = wire.DeploymentCreate(name="n", workflow_id="wf", workflow_version="v1", hardware="ADA_80_PLUS")  # type: ignore[arg-type]
    assert body.model_dump(mode="json") == {
        "name": "n", "workflow_id": "wf", "workflow_version": "v1", "hardware": ["ADA_80_PLUS"],
        "min_instances": 0, "max_instances": 1, "queue_size": 1, "keep_warm_duration_in_seconds": 60,
    }
    assert wire.DeploymentCreate(name="n", workflow_id="wf", workflow_version="v1").hardware == ["AMPERE_48"]


def test_create_body_forbids_unknown_fields_and_two_skus() -> None:
    with pytest.raises(ValueError):
        wire.DeploymentCreate(name="n", workflow_id="wf", workflow_version="v1", replicas=2)  # type: ignore[call-arg]
    with pytest.raises(ValueError):
        wire.DeploymentCreate(name="n", workflow_id="wf", workflow_version="v1", hardware=["A", "B"])


def test_create_matches_only_an_exact_deployment() -> None:
    body = wire.DeploymentCreate(name="text-to-image", workflow_id="wf-1", workflow_version="v1",
                                 hardware=["AMPERE_48"])
    assert body.matches(wire.Deployment.model_validate(DEPLOYMENT))
    assert not body.matches(wire.Deployment.model_validate({**DEPLOYMENT, "queue_size": 2}))
    assert not body.matches(wire.Deployment.model_validate({**DEPLOYMENT, "hardware": "AMPERE_80"}))


@pytest.mark.parametrize("status", ["canceled", "cancelled", "Canceled"])
def test_request_status_spelling_is_normalised(status: str) -> None:
    parsed = wire.RequestStatus.model_validate({"request_id": "r", "status": status})
    assert parsed.status == "cancelled" and parsed.is_terminal


def test_request_status_in_queue() -> None:
    parsed = wire.RequestStatus.model_validate({"request_id": "r", "status": "in_queue", "queue_position": 2})
    assert parsed.queue_position == 2 and not parsed.is_terminal


def test_result_outputs_with_images_and_text_strings() -> None:
    result = wire.RequestResult.model_validate({
        "request_id": "r", "status": "succeeded",
        "outputs": {"9": {"images": [{"url": "https://x/a.png", "filename": "a.png"}]},
                    "38:42": {"text": ["hello"]}, "7": {"text": "bare"}},
    })
    assert result.succeeded
    assert result.outputs["9"]["images"][0] == {"url": "https://x/a.png", "filename": "a.png"}
    assert result.outputs["38:42"]["text"] == ["hello"]
    assert result.outputs["7"]["text"] == ["bare"]
    assert result.error == []


def test_result_cancelled_spelling() -> None:
    assert wire.RequestResult.model_validate({"status": "canceled"}).status == "cancelled"


def test_result_error_as_object() -> None:
    result = wire.RequestResult.model_validate(
        {"status": "failed", "error": {"type": "ValueError", "message": "bad seed"}}
    )
    assert [(e.type, e.message) for e in result.error] == [("ValueError", "bad seed")]


def test_result_error_as_array() -> None:
    result = wire.RequestResult.model_validate({
        "status": "failed",
        "error": [{"errorCode": 500, "error": "OOM", "debugInfo": {"node": "3"}}, "plain text"],
    })
    assert [(e.type, e.message, e.debug_info) for e in result.error] == [
        ("500", "OOM", {"node": "3"}), (None, "plain text", None),
    ]


@pytest.mark.parametrize(
    ("body", "outcome"),
    [
        ({"request_id": "r", "status": "completed", "outcome": "cancelled"}, "cancelled"),
        ({"request_id": "r", "status": "completed", "outcome": "not_cancellable"}, "not_cancellable"),
        ({"request_id": "r", "status": "completed", "outcome": "canceled"}, "cancelled"),
        ({"request_id": "r", "status": "cancellation_requested"}, "requested"),
        ({"request_id": "r", "status": "something_new"}, "unknown"),
    ],
)
def test_cancel_both_shapes(body: dict[str, Any], outcome: str) -> None:
    assert wire.CancelResponse.model_validate(body).outcome == outcome


def test_delete_request_response() -> None:
    parsed = wire.DeleteRequestResponse.model_validate({"request_id": "r", "status": "deleted", "deleted_objects": 3})
    assert parsed.deleted_objects == 3
    assert wire.DeleteRequestResponse.model_validate({"request_id": "r"}).deleted_objects == 0


def test_submit_response() -> None:
    parsed = wire.SubmitResponse.model_validate({"request_id": "r", "status_url": "u", "result_url": "v",
                                                 "cancel_url": "w"})
    assert (parsed.request_id, parsed.status_url, parsed.result_url, parsed.cancel_url) == ("r", "u", "v", "w")


def test_result_outputs_keep_comfyui_animated_flag() -> None:
    """ComfyUI's animated savers report ``animated: [true]`` beside ``images`` (issue 25): the result parses."""
    body = {"status": "succeeded", "outputs": {"9": {"images": [{"filename": "a_00001_.webp"}], "animated": [True]}}}
    result = wire.RequestResult.model_validate(body)
    assert result.outputs["9"]["images"] == [{"filename": "a_00001_.webp"}]
    assert result.outputs["9"]["animated"] == [True]
