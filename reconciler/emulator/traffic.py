"""What the emulator's API was asked and answered: request counts by method, status and call.

Benchmarks and soak tests read it (``GET /_emulator/traffic``) to count the calls a command made and
the ``429``s it drew, and tests assert which calls were (not) made (``by_call``: ``"PATCH /prod/v2/deployments/ID"``),
from the server's side, where no client can miscount. Emulator-only routes under ``/_emulator`` are not counted.
"""

from __future__ import annotations

import collections
import threading
from typing import Any


class Traffic:
    """Thread-safe counters of API requests: in all, by HTTP status, by method and by method and path."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_status: collections.Counter[int] = collections.Counter()
        self._by_method: collections.Counter[str] = collections.Counter()
        self._by_call: collections.Counter[str] = collections.Counter()

    def record(self, method: str, status: int, path: str = "") -> None:
        """Count one API request (``path`` without the query) and the status it was answered with."""
        with self._lock:
            self._by_status[status] += 1
            self._by_method[method] += 1
            self._by_call[f"{method} {path}"] += 1

    def snapshot(self) -> dict[str, Any]:
        """``{"requests": N, "by_status": {"200": n, ...}, "by_method": {"GET": n, ...},
        "by_call": {"PATCH /prod/v2/deployments/ID": n, ...}}``."""
        with self._lock:
            return self._counts()

    def reset(self) -> dict[str, Any]:
        """Start counting afresh; answers the counts so far."""
        with self._lock:
            before = self._counts()
            self._by_status.clear()
            self._by_method.clear()
            self._by_call.clear()
        return before

    def _counts(self) -> dict[str, Any]:
        return {
            "requests": sum(self._by_status.values()),
            "by_status": {str(k): v for k, v in sorted(self._by_status.items())},
            "by_method": dict(sorted(self._by_method.items())),
            "by_call": dict(sorted(self._by_call.items())),
        }
