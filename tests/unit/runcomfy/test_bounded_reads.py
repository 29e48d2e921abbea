"""Every remote read is bounded (issue 19 §4): deep JSON, endless or oversized bodies end in one clean error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from reconciler import readfile
from reconciler.runcomfy import bounds, errors
from reconciler.runcomfy.client import RunComfyClient
from reconciler.runcomfy.http import build_http_client
from reconciler.runcomfy.ratelimit import TokenBucket
from reconciler.runcomfy.retry import RetryPolicy

BASE = "https://api.example.test"
DEP = {"id": "d", "name": "t2i", "workflow_id": "w", "workflow_version": "v1", "hardware": ["AMPERE_48"]}


@pytest.fixture
def router() -> Iterator[respx.Router]:
    router = respx.Router(base_url=BASE)
    yield router


@pytest.fixture
def client(router: respx.Router) -> RunComfyClient:
    http = build_http_client(base_url=BASE, token="tok-123456", transport=httpx.MockTransport(router.handler))
    return RunComfyClient(http, limiter=TokenBucket(1000, 1000), retry=RetryPolicy(base=0.0, max_attempts=2))


def nested(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


@pytest.mark.parametrize("depth", [100, 3000, 100_000])
def test_a_deployed_workflow_nested_deep_is_one_clean_error(
    router: respx.Router, client: RunComfyClient, depth: int
) -> None:
    """plan, status and import all list deployments with their payload: RecursionError today."""
    body = json.dumps([{**DEP, "payload": {"workflow_api_json": {"1": {"class_type": "X", "inputs": {}}}}}])
    body = body.replace('"inputs": {}', f'"inputs": {{"deep": {nested(depth)}}}')
    router.get("/prod/v2/deployments").respond(200, content=body.encode(), headers={"Content-Type": "application/json"})
    with pytest.raises(errors.UnexpectedResponseError) as caught:
        client.list_deployments(include_payload=True)
    assert "JSON nested more than 64 levels deep" in str(caught.value)
    assert "\n" not in caught.value.summary


def test_object_info_nested_100000_deep_is_one_clean_error(router: respx.Router, client: RunComfyClient) -> None:
    router.get("https://files.example.test/oi.json").respond(200, content=nested(100_000).encode())
    with pytest.raises(errors.UnexpectedResponseError, match="nested more than 64 levels"):
        client.fetch_object_info("https://files.example.test/oi.json")


def test_an_error_body_nested_deep_is_read_as_text(router: respx.Router, client: RunComfyClient) -> None:
    router.get("/prod/v2/deployments").respond(400, content=('{"detail": ' + nested(50_000) + "}").encode())
    with pytest.raises(errors.ApiError) as caught:
        client.list_deployments()
    assert caught.value.status == 400


class Endless(httpx.SyncByteStream):
    """A body that never ends (counts what was read of it)."""

    def __init__(self) -> None:
        self.chunks = 0

    def __iter__(self) -> Iterator[bytes]:
        while True:
            self.chunks += 1
            yield b"\0" * 65536


def test_an_output_download_that_never_ends_stops_at_the_limit(router: respx.Router, client: RunComfyClient) -> None:
    stream = Endless()
    router.get("https://files.example.test/out.png").mock(return_value=httpx.Response(200, stream=stream))
    with pytest.raises(errors.UnexpectedResponseError) as caught:
        client.download("https://files.example.test/out.png", limit=1024 * 1024)
    assert "larger than 1 MiB" in caught.value.summary
    assert stream.chunks == 17  # read one chunk past the limit, then stopped


def test_object_info_over_the_documented_64_mib_is_refused(
    router: respx.Router, client: RunComfyClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """80 MiB against 64 MiB, scaled down by 1024 so the test holds kilobytes, not megabytes."""
    assert bounds.OBJECT_INFO_LIMIT == readfile.OBJECT_INFO_LIMIT == 64 * 1024 * 1024  # as documented
    monkeypatch.setattr(bounds, "OBJECT_INFO_LIMIT", 64 * 1024)
    big = b'{"Node": {"input": {"required": {"text": ["STRING", {"default": "' + b"x" * (80 * 1024) + b'"}]}}}}'
    router.get("https://files.example.test/oi.json").respond(200, content=big)
    with pytest.raises(errors.UnexpectedResponseError, match="larger than 65,536 bytes"):
        client.fetch_object_info("https://files.example.test/oi.json")
    monkeypatch.setattr(bounds, "OBJECT_INFO_LIMIT", 96 * 1024)
    assert list(client.fetch_object_info("https://files.example.test/oi.json")) == ["Node"]


def test_a_compressed_body_is_bounded_by_its_decoded_size(router: respx.Router, client: RunComfyClient) -> None:
    import gzip

    bomb = gzip.compress(b"[" + b"0," * (2 * 1024 * 1024) + b"0]")  # ~4 MiB decoded from a few KiB
    router.get("https://files.example.test/out.bin").mock(
        return_value=httpx.Response(200, content=bomb, headers={"Content-Encoding": "gzip"})
    )
    with pytest.raises(errors.UnexpectedResponseError, match="larger than 1 MiB"):
        client.download("https://files.example.test/out.bin", limit=1024 * 1024)
    assert len(client.download("https://files.example.test/out.bin", limit=8 * 1024 * 1024)) > 4 * 1024 * 1024


def test_depth_is_measured_without_recursion() -> None:
    value: Any = 1
    for _ in range(50_000):
        value = [value]
    assert bounds.depth(value, stop_after=10) == 11
    assert bounds.depth({"a": [{"b": 1}]}, stop_after=64) == 3


def test_a_list_answer_is_decoded_once(
    router: respx.Router, client: RunComfyClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list of every deployment is the largest answer plan reads: decoding it again only to look for an
    ``error_code`` (an array has none) doubled its cost at thousands of deployments."""
    decoded: list[int] = []
    real = bounds.loads

    def counting(content: bytes | str, **kwargs: Any) -> Any:
        decoded.append(len(content))
        return real(content, **kwargs)

    monkeypatch.setattr(bounds, "loads", counting)
    router.get("/prod/v2/deployments").respond(200, content=(" \n" + json.dumps([DEP] * 3)).encode())
    assert [d.name for d in client.list_deployments()] == ["t2i"] * 3
    assert len(decoded) == 1
    assert errors.error_from_response(method="GET", path="/p", status=200, content=b'[{"error_code": 1}]') is None
    found = errors.error_from_response(method="GET", path="/p", status=200, content=b' {"error_code": 404001}')
    assert isinstance(found, errors.NotFoundError)


def test_depth_counts_levels_of_wide_values() -> None:
    assert bounds.depth([], stop_after=64) == 1
    assert bounds.depth("text", stop_after=64) == 0
    assert bounds.depth([{"a": 1}, {"b": [1, {"c": []}]}, 3], stop_after=64) == 5
    assert bounds.depth([[[1]], [[[2]]]], stop_after=2) == 3
