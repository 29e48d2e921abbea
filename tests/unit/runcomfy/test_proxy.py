"""Telling a dead instance from ComfyUI's own answer when a proxy call fails."""

from __future__ import annotations

import json

import pytest

from reconciler.runcomfy import errors, proxy


def failure(status: int, body: object = None, text: bytes = b"") -> errors.ApiError:
    content = json.dumps(body).encode() if body is not None else text
    found = errors.error_from_response(method="POST", path="/p", status=status, content=content)
    assert found is not None
    return found


@pytest.mark.parametrize(("error", "gone", "comfy"), [
    (failure(404, {"error_code": 404001, "error_message": "Instance not found"}), True, False),
    (failure(404, text=b"404: Not Found"), False, True),
    (failure(405, text=b"405: Method Not Allowed"), False, True),
    (failure(400, {"error": {"type": "prompt_no_outputs"}}), False, True),
    (failure(410), True, False),
    (failure(502), True, False),
    (failure(504, text=b"gateway timeout"), True, False),
    (failure(404, {"error_code": 10003, "error_message": "deleted"}), False, False),
    (failure(401, {"error_code": 401001}), False, False),
    (failure(429, {"error_code": "rate_limited"}), False, False),
    (errors.TransportError(method="POST", path="/p", message="reset", may_have_landed=True), False, False),
])
def test_classification(error: errors.ApiError, gone: bool, comfy: bool) -> None:
    assert proxy.instance_unreachable(error) is gone
    assert proxy.from_comfyui(error) is comfy
