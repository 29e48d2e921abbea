"""errors.error_from_response: every documented error shape maps to one class with a one-line summary."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reconciler.errors import ReconcilerError
from reconciler.runcomfy import errors


def _map(status: int, body: Any, *, method: str = "GET", path: str = "/prod/v2/deployments/abc",
         secrets: tuple[str, ...] = ()) -> errors.ApiError | None:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return errors.error_from_response(method=method, path=path, status=status, content=content, secrets=secrets)


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (401, 401001, errors.AuthenticationError),
        (403, 403003, errors.ForbiddenError),
        (404, 404001, errors.NotFoundError),
        (422, 422001, errors.ValidationError),
        (500, 500001, errors.ServerError),
        (402, 10001, errors.InsufficientFundsError),
        (403, 10002, errors.DeploymentDisabledError),
        (410, 10003, errors.DeploymentDeletedError),
        (429, "rate_limited", errors.RateLimitedError),
    ],
)
def test_each_documented_code_maps_to_its_class(status: int, code: int | str, cls: type[errors.ApiError]) -> None:
    error = _map(status, {"error_code": code, "error_message": "boom"})
    assert type(error) is cls
    assert error.status == status
    assert error.error_code == code
    assert error.message == "boom"
    assert isinstance(error, ReconcilerError) and error.exit_code == 1


def test_gated_and_disabled_are_both_deployment_unavailable() -> None:
    assert isinstance(_map(403, {"error_code": 10001}), errors.DeploymentUnavailableError)
    assert isinstance(_map(403, {"error_code": 10002}), errors.DeploymentUnavailableError)
    assert not isinstance(_map(410, {"error_code": 10003}), errors.DeploymentUnavailableError)


@pytest.mark.parametrize(
    ("status", "cls"),
    [(401, errors.AuthenticationError), (403, errors.ForbiddenError), (404, errors.NotFoundError),
     (409, errors.ConflictError), (422, errors.ValidationError), (429, errors.RateLimitedError),
     (500, errors.ServerError), (503, errors.ServerError), (418, errors.ApiError)],
)
def test_status_decides_when_there_is_no_code(status: int, cls: type[errors.ApiError]) -> None:
    error = _map(status, b"")
    assert type(error) is cls
    assert error.error_code is None


def test_summary_is_one_line_with_method_path_code_label_and_message() -> None:
    error = _map(422, {"error_code": 422001, "error_message": "Invalid overrides"}, method="PATCH")
    assert error.summary == "PATCH /prod/v2/deployments/abc: 422001 validation error: Invalid overrides"
    assert str(error) == error.summary


def test_summary_without_code_names_the_http_status() -> None:
    error = _map(418, b"")
    assert error.summary == "GET /prod/v2/deployments/abc: HTTP 418 request failed: i'm a teapot"


@pytest.mark.parametrize("code", [404001, "404001"])
def test_error_sent_as_http_200_is_detected(code: int | str) -> None:
    error = _map(200, {"error_code": code, "error_message": "Deployment not found"})
    assert type(error) is errors.NotFoundError
    assert error.status == 200 and error.error_code == 404001


def test_error_sent_as_200_with_unknown_5xx_code_is_a_server_error() -> None:
    assert type(_map(200, {"error_code": 503002, "error_message": "x"})) is errors.ServerError


@pytest.mark.parametrize("body", [{"id": "abc", "name": "x"}, [{"error_code": 1}], {"error_code": None}, b""])
def test_success_bodies_are_not_errors(body: Any) -> None:
    assert _map(200, body) is None


def test_non_json_502_body_is_truncated_to_256_chars() -> None:
    html = b"<html><body>" + b"Bad gateway " * 100 + b"</body></html>"
    error = _map(502, html)
    assert type(error) is errors.ServerError
    assert len(error.message) == errors.BODY_LIMIT
    assert error.message.startswith("<html><body>Bad gateway")
    assert error.summary.startswith("GET /prod/v2/deployments/abc: HTTP 502 server error: <html>")
    assert "\n" not in error.summary


def test_validation_detail_list_is_kept_without_echoed_input() -> None:
    detail = [
        {"loc": ["body", "overrides", "6", "inputs", "seed"], "msg": "Input should be a valid integer",
         "type": "int_parsing", "input": "comfyui-SECRETKEY"},
        "free-form problem",
    ]
    error = _map(422, {"error_code": 422001, "error_message": "validation error", "detail": detail})
    assert isinstance(error, errors.ValidationError)
    assert error.api_detail[0] == {"loc": ["body", "overrides", "6", "inputs", "seed"],
                                   "msg": "Input should be a valid integer", "type": "int_parsing"}
    assert error.summary == ("GET /prod/v2/deployments/abc: 422001 validation error: validation error: "
                             "body.overrides.6.inputs.seed: Input should be a valid integer; free-form problem")
    assert error.detail == ""
    assert "SECRETKEY" not in error.summary + error.detail + repr(error.api_detail)


def test_the_api_detail_message_is_in_the_one_line_summary() -> None:
    body = {"error_message": "Validation error", "detail": [{"msg": "workflow 'wf-x' not found in this account"}]}
    error = _map(422, {"error_code": 422001, **body})
    assert error.summary == ("GET /prod/v2/deployments/abc: 422001 validation error: Validation error: "
                             "workflow 'wf-x' not found in this account")


def test_detail_items_beyond_the_first_three_go_below_the_summary() -> None:
    detail = [{"loc": ["body", f"f{i}"], "msg": f"bad {i}"} for i in range(5)]
    error = _map(422, {"error_code": 422001, "error_message": "Validation error", "detail": detail})
    assert error.summary.endswith("Validation error: body.f0: bad 0; body.f1: bad 1; body.f2: bad 2")
    assert error.detail.splitlines() == ["body.f3: bad 3", "body.f4: bad 4"]


def test_fastapi_string_detail_becomes_the_message() -> None:
    error = _map(404, {"detail": "Not Found"})
    assert error.message == "Not Found" and error.api_detail is None


def test_secrets_are_scrubbed_from_message_and_detail() -> None:
    secret = "sk-live-0123456789"
    body = {"error_code": 401001, "error_message": f"token {secret} revoked", "detail": [{"msg": f"bad {secret}"}]}
    error = _map(401, body, secrets=(secret,))
    for text in (error.summary, error.detail, repr(error.api_detail), error.message):
        assert secret not in text
    assert "token *** revoked" in error.summary


def test_auth_error_detail_says_what_to_do() -> None:
    assert "RUNCOMFY_API_TOKEN" in _map(401, {"error_code": 401001}).detail


def test_amend_appends_a_note_to_the_summary_and_detail() -> None:
    error = errors.TransportError(method="POST", path="/p", message="read timeout", may_have_landed=True)
    error.amend(note="may have landed", detail="re-run plan")
    assert error.summary == "POST /p: transport error: read timeout (may have landed)"
    assert str(error) == error.summary and error.detail == "re-run plan"


def test_retry_after_is_carried() -> None:
    error = errors.error_from_response(method="GET", path="/p", status=429, content=b"", retry_after=3.0)
    assert isinstance(error, errors.RateLimitedError) and error.retry_after == 3.0


def test_string_code_names_itself() -> None:
    error = _map(429, {"error_code": "rate_limited", "error_message": "slow down"})
    assert error.summary == "GET /prod/v2/deployments/abc: rate_limited: slow down"
