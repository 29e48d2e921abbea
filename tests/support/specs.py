"""The one deployment spec the unit tests build desired and live deployments from."""

from __future__ import annotations

from typing import Any

SPEC: dict[str, Any] = {
    "workflow_id": "wf-1",
    "workflow_version": "v1",
    "hardware": "AMPERE_48",
    "min_instances": 0,
    "max_instances": 1,
    "queue_size": 1,
    "keep_warm_duration_in_seconds": 60,
    "is_enabled": True,
}
"""Every field of a RunComfy deployment's spec, at values inside every range."""
