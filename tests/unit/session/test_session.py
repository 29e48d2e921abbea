"""A session has one client configuration: the same request gets the same client, a different one is a bug."""

from __future__ import annotations

import pytest

from reconciler.cli.output import Output
from reconciler.session.session import ClientConfig, ClientConfigConflict, Session


def test_the_first_client_configuration_is_frozen_and_a_different_request_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RUNCOMFY_API_TOKEN", "rc-token-123456")
    session = Session(out=Output(), api_url="http://127.0.0.1:9")  # never connected: nothing is sent
    try:
        first = session.client(ClientConfig(requests_per_second=5, burst=2))
        assert session.client(ClientConfig(requests_per_second=5, burst=2)) is first
        with pytest.raises(ClientConfigConflict, match="a second request asked for"):
            session.client(ClientConfig(requests_per_second=1))
        with pytest.raises(ClientConfigConflict):
            session.client()
    finally:
        session.close()
