"""Fuzzing the wire models and the client's parsing: whatever a server answers, ComfyOps either reads
it or says in one clean error what was wrong. Never another exception."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import httpx
import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.retry import RetryPolicy
from reconciler.runcomfy import errors, wire
from reconciler.runcomfy.client import RunComfyClient
from reconciler.runcomfy.http import build_http_client
from reconciler.runcomfy.ratelimit import TokenBucket

scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)
DEPLOYMENT_KEYS = ["id", "name", "workflow_id", "workflow_version", "hardware", "min_instances", "max_instances",
                   "queue_size", "keep_warm_duration_in_seconds", "status", "is_enabled", "created_at",
                   "updated_at", "payload"]
STATUS_KEYS = ["request_id", "status", "queue_position", "instance_id", "result_url", "status_url"]
RESULT_KEYS = ["request_id", "status", "outputs", "error", "created_at", "finished_at", "instance_id"]


def near_miss(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with the documented keys (some missing) holding values of any JSON type."""
    return st.fixed_dictionaries({}, optional={k: json_values for k in keys})


MODELS = [(wire.Deployment, DEPLOYMENT_KEYS), (wire.RequestStatus, STATUS_KEYS), (wire.RequestResult, RESULT_KEYS),
          (wire.CancelResponse, ["request_id", "status", "outcome"]),
          (wire.DeleteRequestResponse, ["request_id", "status", "deleted_objects"]),
          (wire.SubmitResponse, ["request_id", "status_url", "result_url", "cancel_url"])]


@pytest.mark.parametrize(("model", "keys"), MODELS, ids=[m.__name__ for m, _ in MODELS])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_payload_is_parsed_or_refused_with_a_validation_error(model: Any, keys: list[str], data: Any) -> None:
    payload = data.draw(st.one_of(json_values, near_miss(keys)))
    with contextlib.suppress(pydantic.ValidationError):  # a clean refusal; anything else fails the test
        model.model_validate(payload)


@settings(max_examples=150, deadline=None)
@given(body=st.one_of(json_values, st.lists(near_miss(DEPLOYMENT_KEYS), max_size=3), st.binary(max_size=30)))
def test_the_client_reads_any_list_answer_or_raises_one_api_error(body: Any) -> None:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=content, headers={"Content-Type": "application/json"})

    http = build_http_client(base_url="https://api.fuzz.test", token="fuzz-token",
                             transport=httpx.MockTransport(answer))
    client = RunComfyClient(http, limiter=TokenBucket(1000, 1000), retry=RetryPolicy(base=0.0, max_attempts=1),
                            sleep=lambda _s: None)
    try:
        listed = client.list_deployments()
    except errors.ApiError as error:
        assert "\n" not in error.summary and "fuzz-token" not in str(error)
    else:
        assert all(isinstance(d, wire.Deployment) for d in listed)
