"""The RunComfy API's failures as one exception tree, and the one function that maps a response to it.

Pure: no httpx, no clock, no environment. The client hands :func:`error_from_response` plain data
(method, path, status, body bytes) and raises what comes back; transport failures are built by the
client with the httpx exception chained as ``__cause__`` (``raise ... from exc``), so the HTTP
library never leaks through the domain and can be swapped::

    ReconcilerError                      (reconciler.errors: one line, exit code 1)
     ├── UnpatchableFieldError            a PATCH asked for a field the API cannot change (never sent)
     └── ApiError                         method, path, status, error_code, message, api_detail
          ├── AuthenticationError         401 / 401001
          ├── ForbiddenError              403 / 403003 (not your deployment or request)
          ├── NotFoundError               404 / 404001
          ├── ConflictError               409 (e.g. deleting a running request)
          ├── ValidationError             422 / 422001, with the API's ``detail`` list
          ├── RateLimitedError            429 / "rate_limited", with ``retry_after``
          ├── ServerError                 5xx / 500001
          ├── DeploymentUnavailableError  the deployment exists but will not run requests
          │    ├── InsufficientFundsError       10001 (gated: top up the account)
          │    └── DeploymentDisabledError      10002 (``is_enabled: false``)
          ├── DeploymentDeletedError      10003
          ├── UnexpectedResponseError     a 2xx body the wire models cannot read
          └── TransportError              no response: timeouts, resets, connection errors;
                                          ``may_have_landed`` says whether the server may have acted

Errors signalled as HTTP 200 with an ``error_code`` body are detected too (RunComfy's own client
code shows some endpoints do this). Messages carry no secrets: the client passes the token and any
secret request values (Comfy Org API keys, webhook URLs) as ``secrets``, which are scrubbed; request
bodies are never quoted; non-JSON bodies are cut to 256 characters; validation items lose the
``input`` key that FastAPI-style servers use to echo the submitted value back.
"""

from __future__ import annotations

import http
import json
import re
from collections.abc import Iterable
from typing import Any, ClassVar, Final

from reconciler import catalog
from reconciler.errors import ReconcilerError
from reconciler.runcomfy import bounds
from reconciler.secrets import REDACTED, mask

BODY_LIMIT: Final[int] = 256
"""Non-JSON bodies are cut to this many characters (kopf's limit) before they reach a message."""

MAX_DETAIL_LINES: Final[int] = 20
SUMMARY_DETAIL_ITEMS: Final[int] = 3
"""How many of the API's ``detail[]`` items the one-line summary carries; the rest go to ``detail``."""

ErrorCode = int | str


class UnpatchableFieldError(ReconcilerError):
    """A PATCH named a field the API cannot change in place; raised before anything is sent."""


class ApiError(ReconcilerError):
    """A call to the RunComfy API failed. ``summary`` is one line: ``METHOD /path: <code> <label>: <msg>``."""

    label: ClassVar[str] = "request failed"
    hint: ClassVar[str] = ""

    def __init__(
        self,
        *,
        method: str,
        path: str,
        status: int | None = None,
        error_code: ErrorCode | None = None,
        message: str = "",
        api_detail: Any = None,
        retry_after: float | None = None,
        detail: str = "",
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.error_code = error_code
        self.message = message
        self.api_detail = api_detail
        self.retry_after = retry_after
        super().__init__(f"{method} {path}: {self.reason}", detail or self._default_detail())

    @property
    def reason(self) -> str:
        """The summary without its ``METHOD /path:`` prefix, e.g. ``422001 validation error: bad input``.

        The API's first ``detail[]`` items (``loc: msg``) are part of it: they usually say what was wrong.
        """
        if isinstance(self.error_code, str):  # e.g. "rate_limited" names itself
            head = self.error_code
        elif self.error_code is not None:
            head = f"{self.error_code} {self.label}"
        elif self.status is not None:
            head = f"HTTP {self.status} {self.label}"
        else:
            head = self.label
        text = f"{head}: {self.message}" if self.message else head
        shown = [line for line in _detail_lines(self.api_detail)[:SUMMARY_DETAIL_ITEMS] if line != self.message]
        return f"{text}: {'; '.join(shown)}" if shown else text

    def _default_detail(self) -> str:
        lines = _detail_lines(self.api_detail)[SUMMARY_DETAIL_ITEMS:]
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)

    def amend(self, *, note: str, detail: str = "") -> None:
        """Append ``note`` to the one-line summary (and ``detail`` below it) before re-raising."""
        self.summary = f"{self.summary} ({note})"
        self.args = (self.summary,)
        if detail:
            self.detail = f"{self.detail}\n{detail}" if self.detail else detail


class AuthenticationError(ApiError):
    """401 / 401001: the token is missing, wrong or revoked."""

    label = "unauthorized"
    hint = "Check that RUNCOMFY_API_TOKEN holds a valid RunComfy API token."


class ForbiddenError(ApiError):
    """403 / 403003: the deployment or request belongs to another account."""

    label = "forbidden"
    hint = "The token's account does not own this deployment or request."


class NotFoundError(ApiError):
    """404 / 404001: no such deployment or request."""

    label = "not found"


class ConflictError(ApiError):
    """409: the object is in a state that forbids the call (e.g. deleting a request still running)."""

    label = "conflict"


class ValidationError(ApiError):
    """422 / 422001: the API rejected the body; ``api_detail`` keeps its ``detail`` list."""

    label = "validation error"


class RateLimitedError(ApiError):
    """429 / ``rate_limited``: over the account's request rate; ``retry_after`` is in seconds if sent."""

    label = "rate limited"


class ServerError(ApiError):
    """5xx / 500001: the API failed; safe to retry with backoff when the call is idempotent."""

    label = "server error"


class DeploymentUnavailableError(ApiError):
    """The deployment exists but will not run requests (gated or disabled)."""

    label = "deployment unavailable"


class InsufficientFundsError(DeploymentUnavailableError):
    """10001: the account has insufficient funds, so the deployment is gated."""

    label = "insufficient funds (deployment gated)"
    hint = "Top up the RunComfy account, then retry."


class DeploymentDisabledError(DeploymentUnavailableError):
    """10002: the deployment is disabled (``is_enabled: false``)."""

    label = "deployment disabled"
    hint = "Enable the deployment (is_enabled: true) and apply, then retry."


class DeploymentDeletedError(ApiError):
    """10003: the deployment was deleted."""

    label = "deployment deleted"


class UnexpectedResponseError(ApiError):
    """A successful response whose body is not what the wire models expect."""

    label = "unexpected response"


class TransportError(ApiError):
    """No HTTP response: timeout, reset or connection error. The httpx exception is the ``__cause__``."""

    label = "transport error"

    def __init__(self, *, method: str, path: str, message: str, may_have_landed: bool) -> None:
        self.may_have_landed = may_have_landed
        super().__init__(method=method, path=path, message=message)


_BY_CODE: Final[dict[ErrorCode, type[ApiError]]] = {
    catalog.ERROR_UNAUTHORIZED: AuthenticationError,
    catalog.ERROR_FORBIDDEN: ForbiddenError,
    catalog.ERROR_NOT_FOUND: NotFoundError,
    catalog.ERROR_VALIDATION: ValidationError,
    catalog.ERROR_INTERNAL: ServerError,
    catalog.ERROR_INSUFFICIENT_FUNDS: InsufficientFundsError,
    catalog.ERROR_DEPLOYMENT_DISABLED: DeploymentDisabledError,
    catalog.ERROR_DEPLOYMENT_DELETED: DeploymentDeletedError,
    catalog.ERROR_RATE_LIMITED: RateLimitedError,
}
_BY_STATUS: Final[dict[int, type[ApiError]]] = {
    401: AuthenticationError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitedError,
}


_JSON_ARRAY: Final = re.compile(rb"[ \t\n\r]*\[")
"""A body that, if JSON at all, is an array (whatever its encoding: ``[`` first is an array in each), so it
holds no ``error_code``: a list of thousands of deployments is then decoded once (by the caller), not twice."""


def error_from_response(
    *,
    method: str,
    path: str,
    status: int,
    content: bytes,
    retry_after: float | None = None,
    secrets: Iterable[str] = (),
) -> ApiError | None:
    """The error a response signals, or None for a success. The one status/body -> class mapping.

    A 2xx whose JSON object carries a non-null ``error_code`` is an error too. The code decides the
    class when known (``10003`` has no HTTP status in it); otherwise the status does.
    """
    if 200 <= status < 300 and _JSON_ARRAY.match(content):  # a list answer: no error_code to find in it
        return None
    body = _parse_json(content)
    code = _error_code(body)
    if 200 <= status < 300 and code is None:
        return None
    effective = status
    if 200 <= status < 300:  # an error sent as 200: the code's first three digits are the status
        effective = code // 1000 if isinstance(code, int) and 100_000 <= code < 600_000 else 400
    cls = (
        (_BY_CODE.get(code) if code is not None else None)
        or _BY_STATUS.get(effective)
        or (ServerError if effective >= 500 else ApiError)
    )
    secret_list = [s for s in secrets if s]
    message, api_detail = _message_and_detail(body, content, status)
    if cls is ApiError and not message:
        message = _status_phrase(status)
    return cls(
        method=method,
        path=path,
        status=status,
        error_code=code,
        message=scrub(message, secret_list),
        api_detail=_scrub_value(api_detail, secret_list),
        retry_after=retry_after,
    )


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``***`` (:func:`reconciler.secrets.mask`)."""
    return mask(text, secrets, token=REDACTED)


def truncate(text: str, limit: int = BODY_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _parse_json(content: bytes) -> Any:
    try:
        return bounds.loads(content) if content else None
    except (ValueError, UnicodeDecodeError):  # not JSON, or nested past the limit: read as plain text
        return None


def _error_code(body: Any) -> ErrorCode | None:
    if not isinstance(body, dict):
        return None
    code = body.get("error_code")
    if code is None or isinstance(code, bool):
        return None
    if isinstance(code, str) and code.strip().isdigit():
        return int(code)
    return code if isinstance(code, int | str) else str(code)


def _message_and_detail(body: Any, content: bytes, status: int) -> tuple[str, Any]:
    if not isinstance(body, dict):
        if body is not None:  # JSON, but not an object: show its text, cut short
            return truncate(content.decode("utf-8", "replace").strip()), None
        text = content.decode("utf-8", "replace").strip()
        return truncate(" ".join(text.split())), None
    detail = body.get("detail")
    candidates = (body.get("error_message"), body.get("message"), body.get("error"))
    message = next((v for v in candidates if isinstance(v, str)), "")
    if not message and isinstance(detail, str):
        message, detail = detail, None
    return truncate(message), _sanitize_detail(detail)


def _sanitize_detail(detail: Any) -> Any:
    # FastAPI-style validation items echo the submitted value under "input": that value can be a
    # Comfy Org API key or a webhook URL, so it never survives into an error.
    if isinstance(detail, list):
        return [
            {k: v for k, v in item.items() if k != "input"} if isinstance(item, dict) else item
            for item in detail
        ]
    if isinstance(detail, dict):
        return {k: v for k, v in detail.items() if k != "input"}
    return detail


def _scrub_value(value: Any, secrets: list[str]) -> Any:
    if not secrets or value is None:
        return value
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, list):
        return [_scrub_value(v, secrets) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_value(v, secrets) for k, v in value.items()}
    return value


def _detail_lines(detail: Any) -> list[str]:
    if detail is None or detail == [] or detail == {}:
        return []
    items = detail if isinstance(detail, list) else [detail]
    lines = [truncate(_detail_line(item)) for item in items[:MAX_DETAIL_LINES]]
    if len(items) > MAX_DETAIL_LINES:
        lines.append(f"... and {len(items) - MAX_DETAIL_LINES} more")
    return lines


def _detail_line(item: Any) -> str:
    if isinstance(item, dict):
        msg = item.get("msg") or item.get("message") or item.get("error")
        loc = item.get("loc")
        if isinstance(loc, list | tuple) and msg:
            return f"{'.'.join(str(p) for p in loc)}: {msg}"
        if msg:
            return str(msg)
        return json.dumps(item, sort_keys=True, default=str)
    return str(item)


def _status_phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase.lower()
    except ValueError:
        return ""
