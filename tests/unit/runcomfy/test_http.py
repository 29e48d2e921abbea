"""http.build_http_client: auth, user agent, timeouts, injectable transport, secret-free logging."""

from __future__ import annotations

import logging

import httpx
import pytest

import reconciler
from reconciler.errors import ReconcilerError
from reconciler.runcomfy import http

TOKEN = "rc-test-TOKEN-9f8e7d6c5b4a"


def _client(handler: object, **kwargs: object) -> httpx.Client:
    return http.build_http_client(base_url="https://api.example.test", token=TOKEN,
                                  transport=httpx.MockTransport(handler), **kwargs)  # type: ignore[arg-type]


def test_sends_bearer_token_and_user_agent() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    with _client(handler) as client:
        client.get("/prod/v2/deployments")
    assert seen[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert seen[0].headers["User-Agent"] == f"comfyops/{reconciler.__version__}"
    assert str(seen[0].url) == "https://api.example.test/prod/v2/deployments"


def test_default_timeouts() -> None:
    with _client(lambda r: httpx.Response(200)) as client:
        assert client.timeout.connect == 10.0
        assert client.timeout.read == 60.0


def test_timeouts_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMFYOPS_CONNECT_TIMEOUT", "3")
    monkeypatch.setenv("COMFYOPS_READ_TIMEOUT", "90.5")
    with _client(lambda r: httpx.Response(200)) as client:
        assert (client.timeout.connect, client.timeout.read) == (3.0, 90.5)


def test_explicit_timeout_wins() -> None:
    with _client(lambda r: httpx.Response(200), timeout=httpx.Timeout(1.0)) as client:
        assert client.timeout.read == 1.0


@pytest.mark.parametrize("value", ["soon", "0", "-2"])
def test_bad_timeout_env_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("COMFYOPS_READ_TIMEOUT", value)
    with pytest.raises(ReconcilerError, match="COMFYOPS_READ_TIMEOUT"):
        http.default_timeout()


def test_verbose_logs_method_path_status_elapsed_but_no_secrets(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with _client(lambda r: httpx.Response(201, json={"ok": True}), verbose=2) as client:
        client.post("/prod/v2/deployments", params={"sig": "QUERYSECRET"}, json={"api_key": "BODYSECRET"})
    records = [r for r in caplog.records if r.name == "reconciler.http"]
    assert any("POST api.example.test/prod/v2/deployments -> 201 (" in r.getMessage() for r in records)
    for record in caplog.records:  # every logger, httpx's own included
        assert TOKEN not in record.getMessage() and "BODYSECRET" not in record.getMessage()
    # httpx's own INFO line shows the full URL; ours never shows a query (signed output URLs).
    assert all("QUERYSECRET" not in r.getMessage() for r in records)


def test_quiet_client_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="reconciler.http")
    with _client(lambda r: httpx.Response(200)) as client:
        client.get("/x")
    assert [r for r in caplog.records if r.name == "reconciler.http"] == []


@pytest.mark.parametrize(
    ("exc", "sent"),
    [(httpx.ConnectError("refused"), False), (httpx.ConnectTimeout("t"), False), (httpx.PoolTimeout("t"), False),
     (httpx.ReadTimeout("t"), True), (httpx.WriteTimeout("t"), True), (httpx.RemoteProtocolError("eof"), True),
     (httpx.ReadError("reset"), True)],
)
def test_never_sent_classification(exc: httpx.RequestError, sent: bool) -> None:
    assert http.never_sent(exc) is not sent


def test_describe_is_short() -> None:
    assert http.describe(httpx.ReadTimeout("x")) == "read timeout (ReadTimeout)"
    assert http.describe(httpx.RemoteProtocolError("x")) == "connection dropped before a full response " \
        "(RemoteProtocolError)"


def test_same_origin() -> None:
    base = httpx.URL("https://api.runcomfy.net/")
    assert http.same_origin(httpx.URL("https://api.runcomfy.net/x"), base)
    assert not http.same_origin(httpx.URL("https://cdn.runcomfy.net/x"), base)
    assert not http.same_origin(httpx.URL("http://api.runcomfy.net/x"), base)
    assert not http.same_origin(httpx.URL("https://api.runcomfy.net:8443/x"), base)
