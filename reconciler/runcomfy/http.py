"""The one place an ``httpx.Client`` for the RunComfy API is built, and httpx's failures described.

Effectful shell (reads two environment variables, logs). :func:`build_http_client` sets the bearer
token, the ``User-Agent`` and timeouts, and takes an injected transport so tests pass
``httpx.MockTransport(router.handler)`` instead of patching httpx (STYLE.md C.8). With ``verbose`` it
logs each exchange to the ``reconciler.http`` logger as method, host, path, status and elapsed time:
never headers (the token), never query strings (signed output URLs), never bodies (Comfy Org API
keys, webhook URLs).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any, Final

import httpx

import reconciler
from reconciler.errors import ReconcilerError

logger = logging.getLogger("reconciler.http")

CONNECT_TIMEOUT_ENV: Final[str] = "COMFYOPS_CONNECT_TIMEOUT"
READ_TIMEOUT_ENV: Final[str] = "COMFYOPS_READ_TIMEOUT"
DEFAULT_CONNECT_TIMEOUT: Final[float] = 10.0
DEFAULT_READ_TIMEOUT: Final[float] = 60.0
USER_AGENT: Final[str] = f"comfyops/{reconciler.__version__}"

_START: Final[str] = "comfyops.start"

ResponseObserver = Callable[[str, str, int], None]
"""Told (method, path, status code) of each response, e.g. to count API requests for metrics."""

# httpx failures after which the server cannot have seen the request: nothing was sent.
_NEVER_SENT: Final[tuple[type[Exception], ...]] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
)


def default_timeout() -> httpx.Timeout:
    """Connect 10s, read 60s (overridable via COMFYOPS_CONNECT_TIMEOUT / COMFYOPS_READ_TIMEOUT)."""
    connect = _env_seconds(CONNECT_TIMEOUT_ENV, DEFAULT_CONNECT_TIMEOUT)
    read = _env_seconds(READ_TIMEOUT_ENV, DEFAULT_READ_TIMEOUT)
    return httpx.Timeout(connect=connect, read=read, write=read, pool=connect)


def build_http_client(
    *,
    base_url: str,
    token: str,
    verbose: int = 0,
    timeout: httpx.Timeout | None = None,
    transport: httpx.BaseTransport | None = None,
    observer: ResponseObserver | None = None,
) -> httpx.Client:
    """An ``httpx.Client`` for ``base_url``: bearer auth, our User-Agent, timeouts, optional logging.

    ``observer`` is called with (method, path, status code) for every response (metrics); never the query.
    """
    hooks: dict[str, list[Callable[..., Any]]] = {"request": [], "response": []}
    if verbose > 0:
        hooks = {"request": [_mark_start], "response": [_log_response]}
    if observer is not None:
        hooks["response"].append(
            lambda response: observer(response.request.method, response.request.url.path, response.status_code)
        )
    headers = {"User-Agent": USER_AGENT}
    if token.strip():  # an empty "Bearer " header is refused by httpx itself; let the API answer 401 instead
        headers["Authorization"] = f"Bearer {token.strip()}"
    return httpx.Client(
        base_url=base_url,
        headers=headers,
        timeout=timeout if timeout is not None else default_timeout(),
        transport=transport,
        event_hooks=hooks,
    )


def token_problem(token: str) -> str:
    """Why ``token`` cannot be sent as a bearer token (``""`` when it can); never quotes the token."""
    text = token.strip()
    if any(ch in "\r\n" for ch in text):
        return "it contains a line break"
    if any(ord(ch) > 126 for ch in text):
        return "it contains non-ASCII characters"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return "it contains control characters"
    if any(ch.isspace() for ch in text):
        return "it contains spaces"
    return ""


def url_problem(url: str) -> str:
    """Why ``url`` cannot be the API's base URL (``""`` when it can), e.g. no scheme or no host."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        return f"it is not a URL ({exc})"
    if parsed.scheme not in ("http", "https"):
        return "it has no http:// or https:// scheme" if not parsed.scheme else f"{parsed.scheme}:// is not http(s)"
    if not parsed.host:
        return "it has no host"
    return ""


def never_sent(exc: httpx.RequestError) -> bool:
    """Whether an httpx failure happened before any byte of the request could reach the server."""
    return isinstance(exc, _NEVER_SENT)


def describe(exc: httpx.RequestError, url: httpx.URL | None = None) -> str:
    """A short, secret-free description of an httpx failure naming the host and port tried, e.g.
    ``could not connect to api.runcomfy.net:443 (ConnectError: ...)``."""
    kind = type(exc).__name__
    if url is None:
        try:
            url = exc.request.url
        except RuntimeError:  # an exception built without a request (tests)
            url = None
    where = host_port(url) if url is not None else ""
    if isinstance(exc, httpx.TimeoutException):
        phase = {
            httpx.ConnectTimeout: "connect",
            httpx.ReadTimeout: "read",
            httpx.WriteTimeout: "write",
            httpx.PoolTimeout: "connection pool",
        }.get(type(exc), "")
        preposition = "to" if isinstance(exc, httpx.ConnectTimeout) else "from"
        return f"{phase} timeout {preposition + ' ' + where if where else ''} ({kind})".replace("  ", " ").strip()
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect{' to ' + where if where else ''} ({kind}: {str(exc)[:120]})"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return f"connection{' to ' + where if where else ''} dropped before a full response ({kind})"
    text = str(exc)[:120]
    described = f"{kind}: {text}" if text else kind
    return f"{described} ({where})" if where else described


def host_port(url: httpx.URL) -> str:
    """``host:port`` of ``url``, the port filled in from the scheme when the URL leaves it out."""
    port = url.port or {"https": 443, "http": 80}.get(url.scheme)
    return f"{url.host}:{port}" if port else url.host


def same_origin(url: httpx.URL, base: httpx.URL) -> bool:
    """Whether ``url`` has the scheme, host and port of ``base`` (where the bearer token may go)."""
    return (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port)


def display_target(target: str) -> str:
    """A request target as messages show it: API paths as-is, absolute URLs as origin + path, no query."""
    if "://" not in target:
        return target
    url = httpx.URL(target)
    return f"{url.scheme}://{url.host}{url.path}"


def _mark_start(request: httpx.Request) -> None:
    request.extensions[_START] = time.monotonic()
    logger.debug("%s %s%s ...", request.method, request.url.host, request.url.path)


def _log_response(response: httpx.Response) -> None:
    request = response.request
    started = request.extensions.get(_START)
    elapsed = time.monotonic() - started if isinstance(started, float) else 0.0
    logger.info(
        "%s %s%s -> %d (%.3fs)", request.method, request.url.host, request.url.path,
        response.status_code, elapsed,
    )


def _env_seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ReconcilerError(f"{name}={raw!r} is not a positive number of seconds", f"Unset or fix {name}.")
    return value
