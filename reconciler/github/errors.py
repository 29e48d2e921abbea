"""The GitHub REST API's failures as one small exception tree, and the function that maps a response to it.

Pure: the client hands :func:`error_from_response` plain data (method, path, status, headers, body)
and raises what comes back; transport failures are built by the client with the httpx exception
chained (``raise ... from exc``)::

    ReconcilerError                 (reconciler.errors: one line, exit code 1)
     └── GitHubError                 configuration problems: no token, no repository, a bad --repo
          └── GitHubApiError         method, path, status, message; the summary ends with a hint
               └── RateLimitedError  403/429 from a primary or secondary rate limit, with ``wait``

Every message is one line and carries a hint for the usual causes: 401 (a bad or expired token),
403 "Resource not accessible by integration" (a permission the job's ``permissions:`` lacks), 404
(a wrong repository or number, or a token that cannot see it), 410 (issues turned off) and 422.
The token never appears: callers pass it as a secret and every message is scrubbed of it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final

from reconciler.errors import ReconcilerError
from reconciler.secrets import REDACTED, mask

MESSAGE_LIMIT: Final[int] = 200
SECONDARY_LIMIT_WAIT: Final[float] = 60.0
"""GitHub's advice for a secondary rate limit without ``Retry-After``: wait at least a minute."""


class GitHubError(ReconcilerError):
    """A GitHub step cannot run: missing environment, a malformed option."""


class GitHubApiError(GitHubError):
    """A call to the GitHub API failed; ``summary`` is ``GitHub API: METHOD /path: STATUS message (hint: ...)``."""

    def __init__(
        self, *, method: str, path: str, status: int | None, message: str, hint: str = "", may_have_landed: bool = False
    ) -> None:
        self.method, self.path, self.status, self.message, self.hint = method, path, status, message, hint
        self.may_have_landed = may_have_landed
        """No response, but the request may have reached GitHub (so a POST is not re-sent)."""
        head = f"HTTP {status}" if status is not None else "no response"
        text = f"GitHub API: {method} {path}: {head}" + (f": {message}" if message else "")
        super().__init__(text + (f" (hint: {hint})" if hint else ""))


class RateLimitedError(GitHubApiError):
    """A rate limit answered: retried after ``wait`` seconds while that is short enough."""

    def __init__(self, *, wait: float, **kwargs: Any) -> None:
        self.wait = wait
        super().__init__(**kwargs)


def rate_limit_wait(status: int, headers: Mapping[str, str], message: str, now: datetime) -> float | None:
    """Seconds to wait before retrying a rate-limited response, or None when it is not a rate limit.

    ``Retry-After`` wins; else ``X-RateLimit-Remaining: 0`` with ``X-RateLimit-Reset`` (epoch
    seconds, measured against ``now``, best the response's own ``Date``); else a 429, or a 403 whose
    message names a rate limit, waits a minute as GitHub's documentation advises.
    """
    if status not in (403, 429):
        return None
    retry_after = _number(headers.get("retry-after"))
    if retry_after is not None:
        return max(0.0, retry_after)
    if headers.get("x-ratelimit-remaining", "").strip() == "0":
        reset = _number(headers.get("x-ratelimit-reset"))
        if reset is not None:
            return max(0.0, reset - now.timestamp()) + 1.0
    if status == 429 or "rate limit" in message.lower():
        return SECONDARY_LIMIT_WAIT
    return None


def error_from_response(
    *,
    method: str,
    path: str,
    status: int,
    headers: Mapping[str, str],
    content: bytes,
    permission: str,
    now: datetime,
    secrets: Iterable[str] = (),
) -> GitHubApiError:
    """The error for a failed response; ``permission`` names what the call needs, e.g. ``pull-requests: write``."""
    message = scrub(_message(content), secrets)
    wait = rate_limit_wait(status, headers, message, now)
    if wait is not None:
        reset = headers.get("x-ratelimit-reset", "")
        hint = "the GitHub API rate limit was hit; wait and re-run the job"
        if reset.strip().isdigit():
            hint += f" (it resets at {datetime.fromtimestamp(int(reset), tz=now.tzinfo):%H:%M:%S} UTC)"
        return RateLimitedError(wait=wait, method=method, path=path, status=status, message=message, hint=hint)
    return GitHubApiError(
        method=method, path=path, status=status, message=message, hint=_hint(status, message, permission)
    )


def _hint(status: int, message: str, permission: str) -> str:
    if status == 401:
        return "GITHUB_TOKEN is missing, invalid or expired; pass `GITHUB_TOKEN: ${{ github.token }}` in the step's env"
    if status == 403 and "not accessible by integration" in message.lower():
        return f"add `{permission}` to the job's `permissions:`"
    if status == 403:
        return (
            f"the token lacks access; the job needs `permissions: {permission}`, and a fork's pull request "
            "never gets a write token"
        )
    if status == 404:
        return (
            "check GITHUB_REPOSITORY (or --repo) and the number; a token without access to the repository also gets 404"
        )
    if status == 410:
        return "issues are turned off for this repository; enable them in the repository settings"
    if status == 422:
        return "GitHub refused the content; check the title, labels and body"
    if status >= 500:
        return "GitHub had a problem; re-run the job"
    return ""


def _message(content: bytes) -> str:
    try:
        body = json.loads(content) if content else None
    except (ValueError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict):
        message = str(body.get("message") or "")
        details = (
            [
                str(e.get("message") or e.get("code") or "") if isinstance(e, dict) else str(e)
                for e in body.get("errors") or []
            ]
            if isinstance(body.get("errors"), list)
            else []
        )
        details = [d for d in details if d]
        if details:
            message = f"{message} ({'; '.join(details)})" if message else "; ".join(details)
        return _cut(message)
    return _cut(" ".join(content.decode("utf-8", "replace").split()))


def _cut(text: str) -> str:
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``***`` (:func:`reconciler.secrets.mask`)."""
    return mask(text, secrets, token=REDACTED)
