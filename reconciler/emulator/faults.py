"""Fault injection and the emulated rate limit.

:class:`FaultInjector` decides, per API request, whether to add latency, answer 500001, answer
429, drop the connection without a response, or (for deployment create) commit and then answer
500 or drop: the "ambiguous create" a reconciler must recover from without duplicating. Faults
are persisted with the rest of the state (so ``--emulator`` commands after a test's setup see
them), scoped optionally by HTTP method and path prefix, and deterministic given ``seed``.
Emulator-only routes (``/_emulator/*``) are never faulted.

:class:`TokenBucket` is the documented "one request per second per account, some bursts" limit,
keyed by bearer token.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from reconciler.emulator.state import EmulatorState

FaultAction = Literal["error", "rate_limit", "drop"]
AmbiguousMode = Literal["error", "drop"]


@dataclass(frozen=True)
class FaultConfig:
    """Probabilities (0-1) and settings of each fault kind; all off by default."""

    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    drop_rate: float = 0.0
    latency_seconds: float = 0.0
    ambiguous_create_rate: float = 0.0
    ambiguous_create_mode: AmbiguousMode = "error"
    methods: tuple[str, ...] | None = None
    path_prefix: str | None = None
    seed: int | None = None

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> FaultConfig:
        """Build and validate a config from JSON (raises ``ValueError`` on bad keys or values)."""
        known = {f.name for f in fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"unknown fault keys: {', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})")
        values = dict(raw)
        for key in ("error_rate", "rate_limit_rate", "drop_rate", "ambiguous_create_rate"):
            rate = values.get(key, 0.0)
            if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
                raise ValueError(f"{key} must be a number between 0 and 1")
        latency = values.get("latency_seconds", 0.0)
        if isinstance(latency, bool) or not isinstance(latency, int | float) or latency < 0:
            raise ValueError("latency_seconds must be a non-negative number")
        if values.get("ambiguous_create_mode", "error") not in ("error", "drop"):
            raise ValueError("ambiguous_create_mode must be 'error' or 'drop'")
        if values.get("methods") is not None:
            values["methods"] = tuple(str(m).upper() for m in values["methods"])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The config as JSON-ready data."""
        data = asdict(self)
        data["methods"] = list(self.methods) if self.methods is not None else None
        return data

    def applies_to(self, method: str, path: str) -> bool:
        """Whether the method/path scope selects this request."""
        if self.methods is not None and method.upper() not in self.methods:
            return False
        return self.path_prefix is None or path.startswith(self.path_prefix)


class FaultInjector:
    """Seeded fault decisions over the config persisted in an :class:`EmulatorState`."""

    def __init__(self, state: EmulatorState) -> None:
        """Read faults from ``state`` (and write changes back to it)."""
        self._state = state
        self._lock = threading.Lock()
        self._rng = random.Random()
        self._seen: dict[str, Any] | None = None

    def config(self) -> FaultConfig:
        """The current fault config (reseeding the generator whenever it changed)."""
        with self._state.read() as data:
            raw = dict(data.get("faults") or {})
        with self._lock:
            if raw != self._seen:
                self._seen = raw
                self._rng = random.Random(raw.get("seed"))
        return FaultConfig.from_dict(raw)

    def set(self, **settings: Any) -> FaultConfig:
        """Replace the fault config with ``settings`` (unset kinds go back to off)."""
        config = FaultConfig.from_dict(settings)
        with self._state.transaction() as data:
            data["faults"] = {k: v for k, v in config.to_dict().items() if v != getattr(FaultConfig, k)}
        with self._lock:
            self._seen = None  # setting faults (even the same ones again) restarts the seeded sequence
        return self.config()

    def clear(self) -> None:
        """Turn every fault off."""
        self.set()

    def _roll(self, rate: float) -> bool:
        with self._lock:
            return rate > 0 and self._rng.random() < rate

    def decide(self, method: str, path: str) -> tuple[float, FaultAction | None]:
        """Latency to add and the fault (if any) to inject for an API request."""
        config = self.config()
        if not config.applies_to(method, path):
            return 0.0, None
        action: FaultAction | None = None
        if self._roll(config.drop_rate):
            action = "drop"
        elif self._roll(config.error_rate):
            action = "error"
        elif self._roll(config.rate_limit_rate):
            action = "rate_limit"
        return config.latency_seconds, action

    def ambiguous_create(self, method: str, path: str) -> AmbiguousMode | None:
        """After a create committed: how to lose its response (None to answer normally)."""
        config = self.config()
        if config.applies_to(method, path) and self._roll(config.ambiguous_create_rate):
            return config.ambiguous_create_mode
        return None


class TokenBucket:
    """Per-key token bucket: ``rate`` tokens per second, at most ``burst`` saved up."""

    def __init__(self, time_fn: Callable[[], float] = time.monotonic) -> None:
        """Start with every key's bucket full; ``time_fn`` is injectable for tests."""
        self._time = time_fn
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str, rate: float, burst: int) -> float:
        """Spend one token for ``key``: 0.0 if allowed, else seconds until one is available."""
        now = self._time()
        capacity = max(1.0, float(burst))
        with self._lock:
            tokens, last = self._buckets.get(key, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return math.inf if rate <= 0 else (1.0 - tokens) / rate
