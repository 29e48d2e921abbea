"""What every command shares: global options and the one API client, built on first use.

Effectful shell. The client is built here and only here (``RunComfyClient`` over one
``httpx.Client``), against the real API or against the embedded emulator (``--emulator``), which
runs on a loopback port owned by this process for as long as the command runs.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.errors import ReconcilerError
from reconciler.runcomfy.catalog import DEFAULT_API_URL

if TYPE_CHECKING:
    from reconciler.runcomfy.client import RunComfyClient

TOKEN_ENV = "RUNCOMFY_API_TOKEN"
EMULATOR_STATE_ENV = "COMFYOPS_EMULATOR_STATE"
EMULATOR_TOKEN = "emulator-token"  # the embedded emulator accepts any bearer token; this one is not secret


def emulator_state_dir() -> Path:
    """Where the embedded emulator keeps its state between commands."""
    return Path(os.environ.get(EMULATOR_STATE_ENV) or Path(".comfyops") / "emulator")


@dataclass
class AppContext:
    """Global options plus the resources a command opens lazily and closes on exit."""

    api_url: str | None = None
    emulator: bool = False
    no_color: bool = False
    verbose: int = 0
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    _client: RunComfyClient | None = None
    _emulator: Any = None

    def client(self, *, requests_per_second: float | None = None, burst: int | None = None,
               queue_api_version: str = "v1", workflows: dict[tuple[str, str], dict[str, Any]] | None = None,
               api_url: str | None = None, token_env: str | None = None,
               ) -> RunComfyClient:
        """The process's one API client; with ``--emulator`` the named workflows are registered first.

        ``api_url`` and ``token_env`` come from the selected Environment; ``--api-url`` wins over ``api_url``.
        """
        if self._client is not None:
            return self._client
        from reconciler.runcomfy import ratelimit
        from reconciler.runcomfy.client import RunComfyClient
        from reconciler.runcomfy.http import build_http_client

        if self.emulator:
            from reconciler.emulator.embedded import EmbeddedEmulator

            self._emulator = self._stack.enter_context(EmbeddedEmulator(emulator_state_dir()))
            for (workflow_id, version), graph in (workflows or {}).items():
                self._emulator.register_workflow(workflow_id, version, graph)
            base_url, token = self._emulator.base_url, EMULATOR_TOKEN
        else:
            base_url = self.api_url or api_url or DEFAULT_API_URL
            variable = token_env or TOKEN_ENV
            token = os.environ.get(variable, "")
            if not token:
                raise ReconcilerError(
                    f"{variable} is not set",
                    f"export {variable}=<your RunComfy API token>, or use --emulator to try comfyops locally",
                )
        http = self._stack.enter_context(build_http_client(base_url=base_url, token=token, verbose=self.verbose))
        limiter = ratelimit.account_bucket(
            requests_per_second or ratelimit.DEFAULT_RATE, burst or ratelimit.DEFAULT_BURST
        )
        self._client = RunComfyClient(http, limiter=limiter, queue_api_version=queue_api_version)
        return self._client

    def close(self) -> None:
        """Close the client and stop the embedded emulator."""
        self._stack.close()
