"""The Session: what one command's use cases share: the global options and the one API client.

Effectful shell, and no printing: what a session has to say (a note, located problems, a progress
display) goes to the command's output object, given as ``out`` (:class:`Reporter`). The client is built
here and only here (``RunComfyClient`` over one ``httpx.Client``), against the real API or against the
embedded emulator (``--emulator``), which runs on a loopback port owned by this process for as long as
the command runs.

A session has one client configuration (:class:`ClientConfig`), frozen by the first request: asking
again with the same configuration returns the same client, asking with a different one is a bug
(:class:`ClientConfigConflict`), never a silently ignored setting.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from reconciler import workspace
from reconciler.catalog import DEFAULT_API_URL
from reconciler.diagnostics import Diagnostic
from reconciler.errors import ReconcilerError

if TYPE_CHECKING:
    from types import TracebackType

    from reconciler.followup import Invocation
    from reconciler.runcomfy.client import RunComfyClient
    from reconciler.smoke.progress import Progress

TOKEN_ENV = "RUNCOMFY_API_TOKEN"
EMULATOR_TOKEN = "emulator-token"  # the embedded emulator accepts any bearer token; this one is not secret


def _without_userinfo(url: str) -> str:
    """``url`` without any ``user:password@`` part (credentials never appear in output)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def display_api_url(url: str) -> str:
    """The API URL as a header shows it: scheme, host, port and path; never userinfo or a query."""
    import httpx

    parsed = httpx.URL(url)
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}{parsed.path.rstrip('/')}"


class Reporter(Protocol):
    """Where a session's notes and problems go: the command's output object (it masks and prints them)."""

    def note(self, text: str) -> None:
        """Print one line of progress or advice to stderr."""

    def diagnostics(self, diagnostics: Sequence[Diagnostic]) -> None:
        """Print located problems, one per line."""

    def learn(self, secrets: Iterable[str]) -> None:
        """Mask ``secrets`` in everything printed from now on (a use case found more than the manifests hold)."""

    def progress(self, names: Sequence[str], *, live: bool | None = None) -> Progress:
        """A display of smoke tests (or a waited request) as they go: live on a terminal (or when ``live``
        says so), else one line per change."""


class EmbeddedApi(Protocol):
    """The embedded emulator as a session uses it (started by entering it, stopped on exit)."""

    @property
    def base_url(self) -> str:
        """Where a client reaches it (a loopback port)."""

    def register_workflow(self, workflow_id: str, version: str, graph: dict[str, Any]) -> bool:
        """Register a workflow version (as ``--emulator`` does for the manifests' files); whether it was new."""

    def __enter__(self) -> EmbeddedApi:
        """Start serving."""

    def __exit__(self, _kind: type[BaseException] | None, _error: BaseException | None,
                 _trace: TracebackType | None, /) -> None:
        """Stop serving."""


EmulatorStarter = Callable[[Path, bool], EmbeddedApi]
"""Makes the embedded emulator over a state folder (``read_only``: leave it untouched). The command line
passes it in (:mod:`reconciler.emulator` is imported only by ``cli`` and tests, ARCHITECTURE §2)."""


class ClientConfigConflict(RuntimeError):
    """A second request for the session's client asked for a different configuration (a bug in a use case)."""


@dataclass(frozen=True)
class ClientConfig:
    """How the session's one client is built; the first request fixes it for the whole command."""

    requests_per_second: float | None = None
    burst: int | None = None
    queue_api_version: str = "v1"
    workflows: Mapping[tuple[str, str], Mapping[str, Any]] = field(default_factory=dict)
    """With ``--emulator``: (workflow_id, version) -> workflow_api.json to register before the first call."""
    read_only: bool = False
    """With ``--emulator``: keep the emulator's state folder untouched."""
    manifests: tuple[str, ...] = ()
    """The files the command read: they locate the emulator's state folder."""
    api_url: str | None = None
    """From the selected Environment (named ``environment``); ``--api-url`` wins over it."""
    token_env: str | None = None
    environment: str | None = None


@dataclass
class Session:
    """Global options plus the resources a command opens lazily and closes on exit."""

    out: Reporter
    api_url: str | None = None
    api_url_source: str = "--api-url"
    emulator: bool = False
    no_color: bool = False
    verbose: int = 0
    argv: tuple[str, ...] = ()
    """The command line as typed after ``comfyops``, for hints that repeat it."""
    invoked_files: tuple[str, ...] = ()
    """The running command's ``-f`` paths as typed, for follow-up hints."""
    invoked_environment: str | None = None
    """The running command's ``--env`` (or ``COMFYOPS_ENV``), for follow-up hints."""
    start_emulator: EmulatorStarter | None = None
    """How ``--emulator`` starts the embedded emulator (given by the command line)."""

    def global_args(self) -> list[str]:
        """The global options a follow-up command needs to reach the same API: ``--emulator`` or ``--api-url``."""
        if self.emulator:
            return ["--emulator"]
        if self.api_url:
            return ["--api-url", _without_userinfo(self.api_url)]
        return []

    def invocation(self) -> Invocation:
        """What a follow-up command must repeat of this one (global options, ``-f``, ``--env``), for hints."""
        from reconciler.followup import Invocation

        return Invocation(tuple(self.global_args()), self.invoked_files, self.invoked_environment)

    registered: list[tuple[str, str]] = field(default_factory=list)
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    _client: RunComfyClient | None = None
    _config: ClientConfig | None = None
    api_observer: Callable[[str, str, int], None] | None = None
    """Told of every API response (method, path, code) by the client built here: reconcile's metrics."""
    endpoint: str = ""
    """What the client talks to, for headers: ``RunComfy API at <url>`` or ``emulator (state: <dir>)``."""

    def client(self, config: ClientConfig = ClientConfig()) -> RunComfyClient:
        """The command's one API client, built on the first call from ``config``; later calls must ask
        for the same configuration (:class:`ClientConfigConflict` otherwise).

        With ``--emulator`` the configuration's workflows are registered first (``registered`` lists
        the new ones), and ``read_only`` keeps the emulator's state folder untouched.
        """
        if self._config is not None:
            if config != self._config:
                raise ClientConfigConflict(
                    f"the session's client was built with {self._config!r}; a second request asked for {config!r}"
                )
            assert self._client is not None
            return self._client
        self._config = config
        self._client = self._build(config)
        return self._client

    def _build(self, config: ClientConfig) -> RunComfyClient:
        from reconciler.runcomfy import ratelimit
        from reconciler.runcomfy.client import RunComfyClient
        from reconciler.runcomfy.http import build_http_client, token_problem, url_problem

        if self.emulator:
            if self.start_emulator is None:
                raise RuntimeError("this session was given no way to start the embedded emulator (start_emulator)")
            state = workspace.emulator_state(config.manifests)
            if not workspace.emulator_state_configured() and not (state / "state.json").exists():
                self.out.note(f"note: no emulator state in {state} yet; starting an empty emulator")
            self.endpoint = self.endpoint_for(manifests=config.manifests)
            emulator = self._stack.enter_context(self.start_emulator(state, config.read_only))
            for (workflow_id, version), graph in config.workflows.items():
                if emulator.register_workflow(workflow_id, version, dict(graph)):
                    self.registered.append((workflow_id, version))
            base_url, token = emulator.base_url, EMULATOR_TOKEN
        else:
            base_url, source = self._api_base(config.api_url, config.environment)
            problem = url_problem(base_url)
            if problem:
                raise ReconcilerError(
                    f"the API URL {base_url!r} ({source}) is not usable: {problem}; "
                    f"give the full base URL, e.g. {DEFAULT_API_URL}"
                )
            self.endpoint = self.endpoint_for(api_url=config.api_url, environment=config.environment)
            variable = config.token_env or TOKEN_ENV
            token = os.environ.get(variable, "")
            if not token:
                raise ReconcilerError(
                    f"{variable} is not set",
                    f"export {variable}=<your RunComfy API token>, or use --emulator to try comfyops locally",
                )
            problem = token_problem(token)
            if problem:
                raise ReconcilerError(
                    f"{variable} is not a valid API token: {problem}",
                    "a RunComfy API token is one line of ASCII letters, digits and punctuation; set it again "
                    f"without the extra characters (e.g. export {variable}=\"$(tr -d '\\n' < token.txt)\")",
                )
        http = self._stack.enter_context(build_http_client(
            base_url=base_url, token=token, verbose=self.verbose, observer=self.api_observer))
        limiter = ratelimit.account_bucket(
            config.requests_per_second or ratelimit.DEFAULT_RATE, config.burst or ratelimit.DEFAULT_BURST
        )
        return RunComfyClient(http, limiter=limiter, queue_api_version=config.queue_api_version)

    def fresh(self) -> Session:
        """A new session with the same global options, reporter, API observer and emulator starter, and no client
        yet (a watch makes one per pass: the manifests, and so the client configuration, may change between
        passes)."""
        return Session(out=self.out, api_url=self.api_url, api_url_source=self.api_url_source,
                       emulator=self.emulator, no_color=self.no_color, verbose=self.verbose,
                       api_observer=self.api_observer, start_emulator=self.start_emulator)

    def _api_base(self, api_url: str | None, environment: str | None) -> tuple[str, str]:
        """The base URL the client uses, and where it came from (for errors)."""
        if self.api_url:
            return self.api_url, self.api_url_source
        if api_url:
            return api_url, f"from Environment {environment} spec.api_url"
        return DEFAULT_API_URL, "the default"

    def endpoint_for(self, *, api_url: str | None = None, environment: str | None = None,
                     manifests: Sequence[str] = ()) -> str:
        """What :meth:`client` would talk to, as headers and saved plans name it, without connecting:
        ``RunComfy API at <url>`` or ``emulator (state: <dir>)``. Arguments as for :meth:`client`."""
        if self.emulator:
            return f"emulator (state: {workspace.emulator_state(manifests)})"
        base_url, _source = self._api_base(api_url, environment)
        try:
            return f"RunComfy API at {display_api_url(base_url)}"
        except Exception:  # an unusable URL: client() refuses it with the reason
            return f"RunComfy API at {_without_userinfo(base_url)}"

    def close(self) -> None:
        """Close the client and stop the embedded emulator."""
        self._stack.close()
