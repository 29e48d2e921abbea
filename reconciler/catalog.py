"""Facts about the RunComfy Serverless API that both sides of the wire share.

Pure data: hardware SKUs and their hourly list prices, the documented ranges and defaults of
deployment settings, and which fields a PATCH may carry. The manifest models, the plan's cost
figures, the client and the emulator all read them from here so that they cannot disagree.
Source: ``shared/runcomfy-api/REFERENCE.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal, get_args

HARDWARE_SKUS: Final[tuple[str, ...]] = (
    "TURING_16",
    "AMPERE_24",
    "AMPERE_48",
    "ADA_48_PLUS",
    "AMPERE_80",
    "ADA_80_PLUS",
    "HOPPER_141",
)
"""The seven hardware SKUs the API accepts (RunComfy's own client code)."""

HOURLY_PRICE_USD: Final[dict[str, float]] = {
    "TURING_16": 0.99,
    "AMPERE_24": 1.75,
    "AMPERE_48": 2.50,
    "ADA_48_PLUS": 2.99,
    "AMPERE_80": 4.99,
    "ADA_80_PLUS": 7.49,
    "HOPPER_141": 8.75,
}
"""Pay-as-you-go list prices per instance-hour; prices "may change", so Settings can override them."""

HOURS_PER_MONTH: Final[float] = 730.0

DEFAULT_HARDWARE: Final[str] = "AMPERE_48"
DEFAULT_MIN_INSTANCES: Final[int] = 0
DEFAULT_MAX_INSTANCES: Final[int] = 1
DEFAULT_QUEUE_SIZE: Final[int] = 1
DEFAULT_KEEP_WARM_SECONDS: Final[int] = 60
DEFAULT_IS_ENABLED: Final[bool] = True

API_DEFAULTS: Final[dict[str, object]] = {
    "hardware": DEFAULT_HARDWARE,
    "min_instances": DEFAULT_MIN_INSTANCES,
    "max_instances": DEFAULT_MAX_INSTANCES,
    "queue_size": DEFAULT_QUEUE_SIZE,
    "keep_warm_duration_in_seconds": DEFAULT_KEEP_WARM_SECONDS,
    "is_enabled": DEFAULT_IS_ENABLED,
}
"""What the API fills in for optional deployment fields a create omits (hardware as one SKU)."""

MIN_INSTANCES_RANGE: Final[tuple[int, int]] = (0, 30)
MAX_INSTANCES_RANGE: Final[tuple[int, int]] = (1, 60)
MIN_QUEUE_SIZE: Final[int] = 1
MIN_KEEP_WARM_SECONDS: Final[int] = 0

ManagedField = Literal[
    "workflow_id",
    "workflow_version",
    "hardware",
    "min_instances",
    "max_instances",
    "queue_size",
    "keep_warm_duration_in_seconds",
    "is_enabled",
]
"""A deployment field a manifest declares and the plan diffs (the type; :data:`MANAGED_FIELDS` the values)."""

MANAGED_FIELDS: Final[tuple[str, ...]] = get_args(ManagedField)
"""Deployment fields a manifest declares and the plan diffs, in display order."""

CREATE_ONLY_FIELDS: Final[frozenset[str]] = frozenset({"workflow_id"})
"""Fields only a create sets: a new workflow is a new deployment."""

PATCHABLE_FIELDS: Final[frozenset[str]] = frozenset({"name", *MANAGED_FIELDS}) - CREATE_ONLY_FIELDS
"""Fields a PATCH may carry: the name and every managed field but the create-only ``workflow_id``."""

SAVED_VERSIONS_PER_WORKFLOW: Final[int] = 3
"""RunComfy keeps this many saved versions per workflow; a Cloud Save removes the oldest one no deployment uses."""

CREATE_FIELDS: Final[tuple[str, ...]] = tuple(f for f in MANAGED_FIELDS if f != "is_enabled")
"""Fields of the create body besides ``name``; ``is_enabled`` is not one of them (PATCH it after)."""

ERROR_UNAUTHORIZED: Final[int] = 401001
ERROR_FORBIDDEN: Final[int] = 403003
ERROR_NOT_FOUND: Final[int] = 404001
ERROR_VALIDATION: Final[int] = 422001
ERROR_INTERNAL: Final[int] = 500001
ERROR_INSUFFICIENT_FUNDS: Final[int] = 10001
ERROR_DEPLOYMENT_DISABLED: Final[int] = 10002
ERROR_DEPLOYMENT_DELETED: Final[int] = 10003
ERROR_RATE_LIMITED: Final[str] = "rate_limited"

DEFAULT_API_URL: Final[str] = "https://api.runcomfy.net"
DEFAULT_REQUESTS_PER_SECOND: Final[float] = 1.0
DEFAULT_BURST: Final[int] = 5


def monthly_cost(hardware: str, min_instances: int, prices: Mapping[str, float] | None = None) -> float:
    """Standing monthly cost in USD of the warm instances a deployment keeps (min_instances x price x 730 h)."""
    table = prices if prices is not None else HOURLY_PRICE_USD
    return round(min_instances * table.get(hardware, 0.0) * HOURS_PER_MONTH, 2)
