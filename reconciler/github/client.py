"""The one ``httpx.Client`` for the GitHub REST API, and the typed calls ComfyOps makes through it.

Effectful shell. :func:`settings_from_env` reads ``GITHUB_TOKEN``, ``GITHUB_REPOSITORY`` and
``GITHUB_API_URL`` (GitHub Enterprise Server sets the last to ``https://HOST/api/v3``);
:func:`build_http_client` is the only place the ``httpx.Client`` is built (tests inject a transport);
:class:`GitHubClient` sends every call through one loop that retries rate limits (403/429 with
``Retry-After`` or ``X-RateLimit-Reset``) and, for idempotent calls, 5xx and transport failures, and
follows ``Link: rel="next"`` for lists. A create (POST) is never re-sent after it may have landed.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import quote

import httpx

import reconciler
from reconciler.github import errors
from reconciler.retry import RetryPolicy, http_date

logger = logging.getLogger("reconciler.github")

DEFAULT_API_URL: Final[str] = "https://api.github.com"
DEFAULT_SERVER_URL: Final[str] = "https://github.com"
API_VERSION: Final[str] = "2022-11-28"
PER_PAGE: Final[int] = 100
MAX_PAGES: Final[int] = 500
"""A list longer than 50,000 items is refused rather than read forever."""

_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class GitHubSettings:
    """Where and as whom to call GitHub; ``token`` never leaves the client's ``Authorization`` header."""

    token: str
    repository: str
    api_url: str = DEFAULT_API_URL
    server_url: str = DEFAULT_SERVER_URL
    run_id: str = ""

    def __repr__(self) -> str:
        return f"GitHubSettings(repository={self.repository!r}, api_url={self.api_url!r}, token=***)"

    @property
    def run_url(self) -> str:
        """The URL of the current workflow run, or '' outside GitHub Actions."""
        if not self.run_id:
            return ""
        return f"{self.server_url.rstrip('/')}/{self.repository}/actions/runs/{self.run_id}"


def settings_from_env(env: Mapping[str, str], *, repo: str | None = None) -> GitHubSettings:
    """Settings from the Actions environment; ``repo`` (``--repo``) overrides ``GITHUB_REPOSITORY``."""
    token = env.get("GITHUB_TOKEN", "").strip()
    if not token:
        raise errors.GitHubError(
            "GITHUB_TOKEN is not set (hint: add `env: GITHUB_TOKEN: ${{ github.token }}` to the step)"
        )
    repository = (repo or env.get("GITHUB_REPOSITORY", "")).strip()
    if not repository:
        raise errors.GitHubError("GITHUB_REPOSITORY is not set (hint: pass --repo OWNER/NAME)")
    if not _REPO.match(repository):
        raise errors.GitHubError(
            f"repository {repository!r} is not OWNER/NAME (hint: e.g. --repo octo-org/deployments)"
        )
    api_url = (env.get("GITHUB_API_URL") or DEFAULT_API_URL).strip().rstrip("/")
    if not api_url.startswith(("https://", "http://")):
        raise errors.GitHubError(f"GITHUB_API_URL {api_url!r} is not an http(s) URL")
    return GitHubSettings(
        token=token,
        repository=repository,
        api_url=api_url,
        server_url=(env.get("GITHUB_SERVER_URL") or DEFAULT_SERVER_URL).strip(),
        run_id=env.get("GITHUB_RUN_ID", "").strip(),
    )


def build_http_client(settings: GitHubSettings, *, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """The ``httpx.Client`` for ``settings.api_url``: bearer token, API version, our User-Agent, timeouts."""
    return httpx.Client(
        base_url=settings.api_url,
        headers={
            "Authorization": f"Bearer {settings.token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": f"comfyops/{reconciler.__version__}",
        },
        timeout=httpx.Timeout(30.0, connect=10.0),
        transport=transport,
        follow_redirects=False,
    )


def seg(value: str | int) -> str:
    """One URL path segment, escaped."""
    return quote(str(value), safe="")


def repo_path(repository: str) -> str:
    """``/repos/OWNER/NAME``."""
    owner, name = repository.split("/", 1)
    return f"/repos/{seg(owner)}/{seg(name)}"


class GitHubClient:
    """The GitHub REST API over one injected ``httpx.Client``, with retries and pagination."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.http = http
        self.policy = policy or RetryPolicy(base=1.0, max_attempts=4, max_retry_after=300.0)
        self._sleep, self._rng, self._wall_clock = sleep, rng, wall_clock
        token = http.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        self._secrets = (token,) if token else ()

    def get(self, path: str, *, permission: str, params: Mapping[str, str | int] | None = None) -> Any:
        """GET ``path`` and return its JSON."""
        return self.request("GET", path, permission=permission, params=params).json()

    def post(self, path: str, body: Mapping[str, Any], *, permission: str) -> Any:
        """POST ``body`` (a create: never re-sent once it may have landed) and return the JSON answer."""
        return self.request("POST", path, permission=permission, json=body).json()

    def patch(self, path: str, body: Mapping[str, Any], *, permission: str) -> Any:
        """PATCH ``body`` (idempotent: retried on 5xx) and return the JSON answer."""
        return self.request("PATCH", path, permission=permission, json=body).json()

    def paginate(
        self,
        path: str,
        *,
        permission: str,
        params: Mapping[str, str | int] | None = None,
        items_key: str = "",
    ) -> Iterator[dict[str, Any]]:
        """Every item of a list endpoint, following ``Link: <...>; rel="next"`` page after page.

        ``items_key`` reads endpoints that answer an object holding the list (``{"artifacts": [...]}``).
        """
        url: str = path
        query: dict[str, str | int] | None = {"per_page": PER_PAGE, **(params or {})}
        for _ in range(MAX_PAGES):
            response = self.request("GET", url, permission=permission, params=query)
            items = response.json()
            if items_key and isinstance(items, dict):
                items = items.get(items_key)
            if not isinstance(items, list):
                raise errors.GitHubApiError(
                    method="GET", path=path, status=response.status_code, message="expected a JSON list"
                )
            yield from (item for item in items if isinstance(item, dict))
            next_url = response.links.get("next", {}).get("url")
            if not next_url:
                return
            if not self._same_origin(httpx.URL(next_url)):
                raise errors.GitHubApiError(
                    method="GET",
                    path=path,
                    status=response.status_code,
                    message="the next page is on another host; not sending the token there",
                )
            url, query = next_url, None
        raise errors.GitHubApiError(
            method="GET", path=path, status=None, message=f"more than {MAX_PAGES} pages; giving up"
        )

    def request(
        self,
        method: str,
        url: str,
        *,
        permission: str,
        params: Mapping[str, str | int] | None = None,
        json: Mapping[str, Any] | None = None,
        allow_redirect: bool = False,
    ) -> httpx.Response:
        """One call with retries: rate limits for every method, 5xx and transport failures unless a POST.

        ``allow_redirect`` returns a redirect (3xx) as it came, for :meth:`download` to follow without the token.
        """
        path = httpx.URL(url).path if "://" in url else url
        attempt = 0
        while True:
            attempt += 1
            outcome = self._attempt(
                method, url, path, permission=permission, params=params, json=json, allow_redirect=allow_redirect
            )
            if isinstance(outcome, httpx.Response):
                return outcome
            error = outcome
            delay = self._delay(error, method, attempt)
            if delay is None:
                logger.info(
                    "GitHub %s %s: attempt #%d/%d failed; escalating", method, path, attempt, self.policy.max_attempts
                )
                raise error
            logger.info(
                "GitHub %s %s: attempt #%d/%d failed (%s); will retry in %.1fs",
                method,
                path,
                attempt,
                self.policy.max_attempts,
                error.status or "no response",
                delay,
            )
            self._sleep(delay)

    def _attempt(
        self,
        method: str,
        url: str,
        path: str,
        *,
        permission: str,
        params: Mapping[str, str | int] | None,
        json: Mapping[str, Any] | None,
        allow_redirect: bool = False,
    ) -> httpx.Response | errors.GitHubApiError:
        try:
            response = self.http.request(method, url, params=params, json=json)
        except httpx.TransportError as exc:
            sent = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
            return errors.GitHubApiError(
                method=method,
                path=path,
                status=None,
                message=errors.scrub(f"{type(exc).__name__}: {str(exc)[:120]}", self._secrets),
                hint="check GITHUB_API_URL and the network",
                may_have_landed=sent,
            )
        if response.is_success or (allow_redirect and response.is_redirect and "location" in response.headers):
            return response
        now = http_date(response.headers.get("date")) or self._wall_clock()
        return errors.error_from_response(
            method=method,
            path=path,
            status=response.status_code,
            headers=response.headers,
            content=response.content,
            permission=permission,
            now=now,
            secrets=self._secrets,
        )

    def _delay(self, error: errors.GitHubApiError, method: str, attempt: int) -> float | None:
        if attempt >= self.policy.max_attempts:
            return None
        if isinstance(error, errors.RateLimitedError):
            return error.wait if error.wait <= self.policy.max_retry_after else None
        transient = error.status is None or error.status >= 500
        if not transient:
            return None
        if method == "POST" and (error.status is not None or error.may_have_landed):
            return None  # the comment or issue may exist already: never create it twice
        return self.policy.backoff(attempt, self._rng)

    def download(self, path: str, *, permission: str, max_bytes: int) -> bytes:
        """The bytes behind ``path``, following one redirect (GitHub sends archives to a signed storage URL).

        The token goes only to the API's own origin: a redirect elsewhere is fetched without it. More than
        ``max_bytes`` is refused rather than read.
        """
        response = self.request("GET", path, permission=permission, allow_redirect=True)
        if not response.is_redirect:
            return self._capped(response.content, path, max_bytes)
        target = httpx.URL(response.headers["location"])
        if self._same_origin(target):
            return self._capped(self.request("GET", str(target), permission=permission).content, path, max_bytes)
        request = self.http.build_request("GET", target)
        del request.headers["Authorization"]
        try:
            streamed = self.http.send(request, stream=True)
            try:
                if not streamed.is_success:
                    raise errors.GitHubApiError(
                        method="GET",
                        path=path,
                        status=streamed.status_code,
                        message=f"the download URL answered HTTP {streamed.status_code}",
                        hint="re-run the job; the URL GitHub redirects to is valid for about a minute",
                    )
                chunks, size = [], 0
                for chunk in streamed.iter_bytes():
                    size += len(chunk)
                    chunks.append(chunk)
                    if size > max_bytes:
                        break  # _capped refuses it below, without reading the rest
            finally:
                streamed.close()
        except httpx.TransportError as exc:
            raise errors.GitHubApiError(
                method="GET", path=path, status=None,
                message=errors.scrub(f"{type(exc).__name__}: {str(exc)[:120]}", self._secrets),
                hint="check the network",
            ) from exc
        return self._capped(b"".join(chunks), path, max_bytes)

    @staticmethod
    def _capped(content: bytes, path: str, max_bytes: int) -> bytes:
        if len(content) > max_bytes:
            raise errors.GitHubApiError(
                method="GET", path=path, status=None, message=f"larger than {max_bytes:,} bytes; refused"
            )
        return content

    def _same_origin(self, url: httpx.URL) -> bool:
        base = self.http.base_url
        return (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port)
