"""Reading a failed instance-proxy call: ComfyUI's own answer, or an instance that is not there.

Pure. The proxy forwards to ComfyUI, so a failure has two possible authors. RunComfy's errors carry
its ``error_code`` body; ComfyUI's do not (an unknown route is aiohttp's plain ``404: Not Found``).
The documents say only that proxy calls to an instance that has shut down "fail"; the readings
here: a RunComfy 404 (not the deployment's own 10003), any 410, and a 502/503/504 (the proxy could
not reach the instance) mean the instance is not running.
"""

from __future__ import annotations

from typing import Final

from reconciler.runcomfy import errors

_UNREACHABLE: Final[frozenset[int]] = frozenset({410, 502, 503, 504})
_RUNCOMFY_ONLY: Final[tuple[type[errors.ApiError], ...]] = (
    errors.AuthenticationError,
    errors.ForbiddenError,
    errors.RateLimitedError,
    errors.DeploymentUnavailableError,
    errors.DeploymentDeletedError,
    errors.TransportError,
    errors.UnexpectedResponseError,
)


def instance_unreachable(error: errors.ApiError) -> bool:
    """Whether a proxy call failed because the instance is not running (or cannot be reached)."""
    if isinstance(error, _RUNCOMFY_ONLY):
        return False
    if error.status in _UNREACHABLE:
        return True
    return isinstance(error, errors.NotFoundError) and error.error_code is not None


def from_comfyui(error: errors.ApiError) -> bool:
    """Whether a failed proxy call is ComfyUI's own answer (an HTTP error without a RunComfy code)."""
    if isinstance(error, _RUNCOMFY_ONLY) or error.status is None or error.status in _UNREACHABLE:
        return False
    return error.error_code is None
