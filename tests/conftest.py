"""Test-wide tripwires and helpers.

- No test reaches the internet: any socket connection to a non-loopback address fails loudly.
- No test writes emulator state or caches into the working tree: each test gets its own
  ``COMFYOPS_EMULATOR_STATE`` and ``COMFYOPS_CACHE_DIR`` under ``tmp_path``, and no real token.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


class YouTriedToReachTheNetwork(RuntimeError):
    """Raised when a test opens a connection to anything but loopback."""


def _is_loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise YouTriedToReachTheNetwork(f"test tried to connect to {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    yield


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COMFYOPS_EMULATOR_STATE", str(tmp_path / ".emulator-state"))
    monkeypatch.setenv("COMFYOPS_CACHE_DIR", str(tmp_path / ".cache"))
    monkeypatch.delenv("RUNCOMFY_API_TOKEN", raising=False)
    monkeypatch.delenv("RUNCOMFY_API_URL", raising=False)
    monkeypatch.delenv("COMFYOPS_EMULATOR", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
