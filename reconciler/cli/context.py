"""What every command shares: global options and the one API client, built on first use.

Effectful shell. The client is built here and only here (``RunComfyClient`` over one
``httpx.Client``), against the real API or against the embedded emulator (``--emulator``), which
runs on a loopback port owned by this process for as long as the command runs.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

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


STATE_SUBDIR = Path(".comfyops") / "emulator"


def emulator_state_dir(manifests: Sequence[str | Path] = ()) -> Path:
    """Where the embedded emulator keeps its state between commands.

    ``COMFYOPS_EMULATOR_STATE`` when set. Otherwise the nearest existing ``.comfyops/emulator`` from the
    manifests' folder (or the working directory) up to the repository root, so that a command run from
    a subfolder sees the same emulator; failing that, a new one at the repository root (the working
    directory outside a repository, or the manifests' folder when they are outside it).
    """
    configured = os.environ.get(EMULATOR_STATE_ENV)
    if configured:
        return Path(configured)
    cwd = Path.cwd().resolve()
    start = _manifest_folder(manifests) or cwd
    root = repository_root(start)
    chain = [start, *start.parents]
    stop = root if root is not None else (cwd if cwd in chain else start)
    for folder in chain:
        if (folder / STATE_SUBDIR).is_dir():
            return _relative(folder / STATE_SUBDIR, cwd)
        if folder == stop:
            break
    return _relative(stop / STATE_SUBDIR, cwd)


def repository_root(start: Path) -> Path | None:
    """The nearest folder from ``start`` upwards that holds a ``.git`` (a folder, or a worktree's file)."""
    return next((folder for folder in (start, *start.parents) if (folder / ".git").exists()), None)


def _manifest_folder(manifests: Sequence[str | Path]) -> Path | None:
    folders = []
    for item in manifests:
        path = Path(item).resolve()
        folders.append(path if path.is_dir() else path.parent)
    if not folders:
        return None
    return Path(os.path.commonpath(folders))


def _relative(path: Path, cwd: Path) -> Path:
    try:
        return path.relative_to(cwd)
    except ValueError:
        return Path(os.path.relpath(path, cwd)) if path.anchor == cwd.anchor else path


def display_api_url(url: str) -> str:
    """The API URL as a header shows it: scheme, host, port and path; never userinfo or a query."""
    import httpx

    parsed = httpx.URL(url)
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}{parsed.path.rstrip('/')}"


@dataclass
class AppContext:
    """Global options plus the resources a command opens lazily and closes on exit."""

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

    def global_args(self) -> list[str]:
        """The global options a follow-up command needs to reach the same API: ``--emulator`` or ``--api-url``."""
        if self.emulator:
            return ["--emulator"]
        if self.api_url:
            return ["--api-url", _without_userinfo(self.api_url)]
        return []

    registered: list[tuple[str, str]] = field(default_factory=list)
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    _client: RunComfyClient | None = None
    _emulator: Any = None
    api_observer: Callable[[str, str, int], None] | None = None
    """Told of every API response (method, path, code) by the client built here: reconcile's metrics."""
    endpoint: str = ""
    """What the client talks to, for headers: ``RunComfy API at <url>`` or ``emulator (state: <dir>)``."""

    def client(self, *, requests_per_second: float | None = None, burst: int | None = None,
               queue_api_version: str = "v1", workflows: dict[tuple[str, str], dict[str, Any]] | None = None,
               read_only: bool = False, manifests: Sequence[str] = (), api_url: str | None = None,
               token_env: str | None = None, environment: str | None = None) -> RunComfyClient:
        """The process's one API client; with ``--emulator`` the given workflows are registered first
        (``registered`` lists the new ones), and ``read_only`` keeps the emulator's state folder untouched.
        ``manifests`` (the files the command read) locate the emulator's state folder.

        ``api_url`` and ``token_env`` come from the selected Environment (named ``environment``);
        ``--api-url`` wins over ``api_url``.
        """
        if self._client is not None:
            return self._client
        from reconciler.runcomfy import ratelimit
        from reconciler.runcomfy.client import RunComfyClient
        from reconciler.runcomfy.http import build_http_client, token_problem, url_problem

        if self.emulator:
            from reconciler.emulator.embedded import EmbeddedEmulator

            state = emulator_state_dir(manifests)
            if not os.environ.get(EMULATOR_STATE_ENV) and not (state / "state.json").exists():
                click.echo(f"note: no emulator state in {state} yet; starting an empty emulator", err=True)
            self.endpoint = self.endpoint_for(manifests=manifests)
            self._emulator = self._stack.enter_context(EmbeddedEmulator(state, read_only=read_only))
            for (workflow_id, version), graph in (workflows or {}).items():
                if self._emulator.register_workflow(workflow_id, version, graph):
                    self.registered.append((workflow_id, version))
            base_url, token = self._emulator.base_url, EMULATOR_TOKEN
        else:
            base_url, source = self._api_base(api_url, environment)
            problem = url_problem(base_url)
            if problem:
                raise ReconcilerError(
                    f"the API URL {base_url!r} ({source}) is not usable: {problem}; "
                    f"give the full base URL, e.g. {DEFAULT_API_URL}"
                )
            self.endpoint = self.endpoint_for(api_url=api_url, environment=environment)
            variable = token_env or TOKEN_ENV
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
            requests_per_second or ratelimit.DEFAULT_RATE, burst or ratelimit.DEFAULT_BURST
        )
        self._client = RunComfyClient(http, limiter=limiter, queue_api_version=queue_api_version)
        return self._client

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
            return f"emulator (state: {emulator_state_dir(manifests)})"
        base_url, _source = self._api_base(api_url, environment)
        try:
            return f"RunComfy API at {display_api_url(base_url)}"
        except Exception:  # an unusable URL: client() refuses it with the reason
            return f"RunComfy API at {_without_userinfo(base_url)}"

    def close(self) -> None:
        """Close the client and stop the embedded emulator."""
        self._stack.close()
