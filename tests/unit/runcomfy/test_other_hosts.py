"""Requests to hosts other than the API's (output files on RunComfy's storage) are not API calls: they
never wait for or spend a token of the account's bucket, are not counted as API calls, carry no bearer
token, and are bounded by their own concurrency limit instead."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
import respx

from reconciler.runcomfy.client import RunComfyClient
from reconciler.runcomfy.http import build_http_client
from reconciler.runcomfy.ratelimit import TokenBucket
from reconciler.runcomfy.retry import RetryPolicy

BASE = "https://api.example.test"
TOKEN = "rc-live-TOKEN-0123456789abcdef"
CDN = "https://cdn.other.test"


def no_sleep(seconds: float) -> None:
    raise AssertionError(f"waited {seconds}s for the API's rate limit")


def drained_client(transport: httpx.BaseTransport, **kwargs: object) -> RunComfyClient:
    """A client whose bucket is empty and may never sleep: any API call fails the test."""
    http = build_http_client(base_url=BASE, token=TOKEN, transport=transport)
    limiter = TokenBucket(0.001, 1, sleep=no_sleep)
    limiter.acquire()  # the one token is gone
    return RunComfyClient(http, limiter=limiter, sleep=lambda s: None, rng=lambda: 0.0,
                          retry=RetryPolicy(base=0.0, max_attempts=3), **kwargs)  # type: ignore[arg-type]


def test_downloads_from_another_host_neither_wait_for_nor_spend_api_tokens() -> None:
    router = respx.Router()
    route = router.get(url__startswith=f"{CDN}/out/").respond(content=b"PNG")
    client = drained_client(httpx.MockTransport(router.handler))
    with client.counting() as count:
        got = [client.download(f"{CDN}/out/{i}.png?sig=s") for i in range(20)]
    assert got == [b"PNG"] * 20 and route.call_count == 20
    assert count.calls == 0, "downloads from storage are not API calls"
    assert all("Authorization" not in call.request.headers for call in route.calls)


def test_a_download_from_the_api_host_is_still_an_api_call() -> None:
    router = respx.Router()
    router.get(f"{BASE}/files/a.png").respond(content=b"PNG")
    client = drained_client(httpx.MockTransport(router.handler))
    with pytest.raises(AssertionError, match="rate limit"):
        client.download(f"{BASE}/files/a.png")


def test_a_429_from_storage_backs_off_without_pausing_the_api_bucket() -> None:
    router = respx.Router()
    router.get(f"{CDN}/a.png").mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "1"}), httpx.Response(200, content=b"PNG"),
    ])
    http = build_http_client(base_url=BASE, token=TOKEN, transport=httpx.MockTransport(router.handler))
    limiter = TokenBucket(1.0, 5)
    slept: list[float] = []
    client = RunComfyClient(http, limiter=limiter, sleep=slept.append, rng=lambda: 0.0)
    assert client.download(f"{CDN}/a.png") == b"PNG"
    assert slept == [1.0] and limiter.available == pytest.approx(5.0, abs=0.01)


def test_downloads_from_another_host_are_bounded_by_their_own_concurrency_limit() -> None:
    lock, state = threading.Lock(), {"now": 0, "most": 0}

    def slow(request: httpx.Request) -> httpx.Response:
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.02)
        with lock:
            state["now"] -= 1
        return httpx.Response(200, content=b"PNG")

    client = drained_client(httpx.MockTransport(slow), other_host_concurrency=3)
    threads = [threading.Thread(target=client.download, args=(f"{CDN}/{i}.png",)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert state["most"] == 3

