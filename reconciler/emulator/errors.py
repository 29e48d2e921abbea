"""The API's error bodies: ``{"error_code": N, "error_message": "...", "detail": [...]}``.

The HTTP status is the first three digits of a six-digit code (422001 -> 422). The docs give no
status for the five-digit account codes; the emulator's choice: 10001 (insufficient funds) -> 402,
10002 (deployment disabled) -> 403, 10003 (deployment deleted) -> 404. ``rate_limited`` -> 429.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from reconciler.catalog import (
    ERROR_DEPLOYMENT_DELETED,
    ERROR_DEPLOYMENT_DISABLED,
    ERROR_INSUFFICIENT_FUNDS,
    ERROR_RATE_LIMITED,
)

_SHORT_CODE_STATUS = {
    ERROR_INSUFFICIENT_FUNDS: 402,
    ERROR_DEPLOYMENT_DISABLED: 403,
    ERROR_DEPLOYMENT_DELETED: 404,
}


def status_for(code: int | str) -> int:
    """The HTTP status the emulator sends with an error code."""
    if code == ERROR_RATE_LIMITED:
        return 429
    if isinstance(code, int) and code in _SHORT_CODE_STATUS:
        return _SHORT_CODE_STATUS[code]
    return int(str(code)[:3])


class ApiError(Exception):
    """An error answer raised from route logic and rendered by :func:`error_response`."""

    def __init__(self, code: int | str, message: str, detail: list[dict[str, Any]] | None = None) -> None:
        """Remember the code, the message and the optional detail list."""
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail


def error_response(
    code: int | str,
    message: str,
    detail: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A JSON error response in the API's shape, with the status for ``code``."""
    body: dict[str, Any] = {"error_code": code, "error_message": message}
    if detail is not None:
        body["detail"] = detail
    return JSONResponse(body, status_code=status_for(code), headers=headers)
