"""What every command shares: global options and the one API client, built on first use.

Effectful shell. The client is built here and only here (``RunComfyClient`` over one
``httpx.Client``), against the real API or against the embedded emulator (``--emulator``), which
runs on a loopback port owned by this process for as long as the command runs.
"""

from __future__ import annotations

import contextlib
import os
import re
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


def _without_userinfo(url: str) -> str:
    """``url`` without any ``user:password@`` part (credentials never appear in output)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


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
    def global_args(self) -> list[str]:
        """The global options a follow-up command needs to reach the same API: ``--emulator`` or ``--api-url``."""
        if self.emulator:
            return ["--emulator"]
        if self.api_url:
            return ["--api-url", _without_userinfo(self.api_url)]
        return []

    def command_line(self, command: str) -> str:
        """``comfyops <global options in use> <command>``, for hints that print a follow-up command."""
        return " ".join(["comfyops", *self.global_args(), command])

    def mention_globals(self, text: str) -> str:
        """``text`` with every quoted follow-up command (`` `comfyops ...` ``) given the global options in use."""
        extra = self.global_args()
        if not extra:
            return text
        return re.sub(r"`comfyops (?!--emulator |--api-url )", lambda _: "`" + " ".join(["comfyops", *extra, ""]), text)

    registered: list[tuple[str, str]] = field(default_factory=list)
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    _client: RunComfyClient | None = None
    _emulator: Any = None

    def client(self, *, requests_per_second: float | None = None, burst: int | None = None,
               queue_api_version: str = "v1", workflows: dict[tuple[str, str], dict[str, Any]] | None = None,
               read_only: bool = False) -> RunComfyClient:
        """The process's one API client; with ``--emulator`` the given workflows are registered first
        (``registered`` lists the new ones), and ``read_only`` keeps the emulator's state folder untouched."""
        if self._client is not None:
            return self._client
        from reconciler.runcomfy import ratelimit
        from reconciler.runcomfy.client import RunComfyClient
        from reconciler.runcomfy.http import build_http_client

        if self.emulator:
            from reconciler.emulator.embedded import EmbeddedEmulator

            emulator = EmbeddedEmulator(emulator_state_dir(), read_only=read_only)
            self._emulator = self._stack.enter_context(emulator)
            for (workflow_id, version), graph in (workflows or {}).items():
                if self._emulator.register_workflow(workflow_id, version, graph):
                    self.registered.append((workflow_id, version))
            base_url, token = self._emulator.base_url, EMULATOR_TOKEN
        else:
            base_url = self.api_url or DEFAULT_API_URL
            token = os.environ.get(TOKEN_ENV, "")
            if not token:
                raise ReconcilerError(
                    f"{TOKEN_ENV} is not set",
                    f"export {TOKEN_ENV}=<your RunComfy API token>, or use --emulator to try comfyops locally",
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
