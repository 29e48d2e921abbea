"""The outcome of smoke tests as plain values: one result per deployment, each with its checks.

Pure, frozen values. Four states (STYLE.md C.20, with ``skipped`` for "not run"): ``pass``; ``fail``
(a check ran and was false, including a timeout); ``error`` (the test could not be evaluated: the API
refused or failed, a download failed); ``skipped`` (not deployed, paused, interrupted before it
started). Every non-passing result carries a one-line ``reason``. Callers such as ``apply --smoke``
read :meth:`SmokeReport.by_name` and :meth:`SmokeReport.named`; renderers read everything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

FORMAT_VERSION = 1


class SmokeStatus(StrEnum):
    """The state of one smoke test, or of one check inside it."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    SKIPPED = "skipped"

    @property
    def is_problem(self) -> bool:
        """Whether this state makes the smoke command fail (fail or error)."""
        return self in (SmokeStatus.FAIL, SmokeStatus.ERROR)


@dataclass(frozen=True)
class CheckResult:
    """One expectation checked: ``name`` is a path such as ``outputs."9".images.format``."""

    name: str
    status: SmokeStatus
    message: str


@dataclass(frozen=True)
class GoldenCheck:
    """One output compared with its golden (or recorded as one): plain fields for reports and galleries.

    Paths are as written (relative to the working directory when the manifests were); figures are the
    worst sampled frame's (largest hash distance, lowest SSIM); ``frames`` are the received file's frame
    indices that were compared (``[0]`` for a still).
    """

    output: str
    """The output node id."""
    channel: str
    item: int
    status: SmokeStatus
    golden: str
    received: str | None = None
    """The received file kept under ``.comfyops/outputs/<request id>/``."""
    diff: str | None = None
    """Golden | received | difference, side by side (only when the comparison failed)."""
    hash_distance: int | None = None
    phash: int | None = None
    dhash: int | None = None
    ssim: float | None = None
    max_hash_distance: int = 0
    min_ssim: float = 0.0
    frames: tuple[int, ...] = ()
    recorded: bool = False
    """``smoke --update-goldens`` wrote the golden from this output."""
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "output": self.output, "channel": self.channel, "item": self.item, "status": self.status.value,
            "golden": self.golden, "received": self.received, "diff": self.diff,
            "hash_distance": self.hash_distance, "phash": self.phash, "dhash": self.dhash, "ssim": self.ssim,
            "max_hash_distance": self.max_hash_distance, "min_ssim": self.min_ssim, "frames": list(self.frames),
            "recorded": self.recorded, "message": self.message,
        }


@dataclass(frozen=True)
class ReceivedFile:
    """An output file kept for review (``smoke --html``) under ``.comfyops/outputs/<request id>/``."""

    output: str
    """The output node id."""
    channel: str
    item: int
    """The item's index in its channel (0 for the first)."""
    path: str
    format: str | None = None
    """The format sniffed from the bytes (``png``, ``mp4``...), None when unknown."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"output": self.output, "channel": self.channel, "item": self.item, "path": self.path,
                "format": self.format}


@dataclass(frozen=True)
class DeploymentResult:
    """One deployment's smoke test."""

    name: str
    status: SmokeStatus
    reason: str = ""
    checks: tuple[CheckResult, ...] = ()
    deployment_id: str | None = None
    request_id: str | None = None
    duration_seconds: float | None = None
    cleanup: str = ""
    """What happened to the request's stored assets: ``deleted N objects``, ``kept``, or why it failed."""
    api_calls: int = 0
    """HTTP requests this test sent (submit, polls, result, downloads, cancel, delete; retries too)."""
    instance_id: str | None = None
    """The instance that ran the request, when the API named it."""
    run_status: str | None = None
    """The result's status (``succeeded``, ``failed``, ``cancelled``) when the run reached one."""
    free_memory: str = ""
    """With ``free_memory_after``: which instance was freed (a failure is a warning instead)."""
    warnings: tuple[str, ...] = ()
    """Problems that do not change the verdict (e.g. a failed free_memory_after)."""
    goldens: tuple[GoldenCheck, ...] = ()
    """Each output compared with (or recorded as) its golden."""
    received: tuple[ReceivedFile, ...] = ()
    """Output files kept for review (with ``keep_outputs``: ``smoke --html``); golden checks keep their own."""
    may_still_run: bool = False
    """Interrupted, and its cancel was never confirmed by the server: the paid job may still run."""

    def failed_checks(self) -> tuple[CheckResult, ...]:
        """The checks that were false or could not be evaluated."""
        return tuple(c for c in self.checks if c.status.is_problem)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "status": self.status.value,
            "reason": self.reason,
            "deployment_id": self.deployment_id,
            "request_id": self.request_id,
            "duration_seconds": None if self.duration_seconds is None else round(self.duration_seconds, 3),
            "cleanup": self.cleanup,
            "api_calls": self.api_calls,
            "instance_id": self.instance_id,
            "free_memory": self.free_memory,
            "warnings": list(self.warnings),
            "checks": [{"name": c.name, "status": c.status.value, "message": c.message} for c in self.checks],
            "goldens": [g.to_dict() for g in self.goldens],
            "received": [f.to_dict() for f in self.received],
        }


@dataclass(frozen=True)
class SmokeReport:
    """Every deployment's smoke test, in the order they were given; ``interrupted`` after Ctrl-C."""

    results: tuple[DeploymentResult, ...]
    interrupted: bool = False
    duration_seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())
    environment: str | None = None
    """The Environment the tests ran in (``--env``), named by every renderer."""

    def by_name(self) -> Mapping[str, DeploymentResult]:
        """Results keyed by deployment name."""
        return {r.name: r for r in self.results}

    def named(self, status: SmokeStatus) -> tuple[str, ...]:
        """Names of the deployments whose smoke test ended in ``status``."""
        return tuple(r.name for r in self.results if r.status is status)

    def counts(self) -> dict[str, int]:
        """How many results are in each state (every state present, zero or not)."""
        return {s.value: sum(1 for r in self.results if r.status is s) for s in SmokeStatus}

    @property
    def ok(self) -> bool:
        """Whether nothing failed or errored (and the run was not interrupted)."""
        return not self.interrupted and not any(r.status.is_problem for r in self.results)

    @property
    def nothing_ran(self) -> bool:
        """Whether there were tests and every one was skipped (e.g. run before the deployments exist)."""
        return bool(self.results) and all(r.status is SmokeStatus.SKIPPED for r in self.results)

    def calls_line(self) -> str:
        """``81 API calls, 4.0 per test``: what the run cost against the rate limit ("" if nothing ran)."""
        ran = [r.api_calls for r in self.results if r.api_calls]
        if not ran:
            return ""
        return f"{sum(ran)} API calls, {sum(ran) / len(ran):.1f} per test"

    def summary(self) -> str:
        """The one summary sentence every renderer shows."""
        c = self.counts()
        text = f"{c['pass']} passed, {c['fail']} failed, {c['error']} errored, {c['skipped']} skipped"
        return f"{text} (interrupted)" if self.interrupted else text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``format_version`` 1); ``environment`` only when one was selected."""
        data: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "ok": self.ok,
            "interrupted": self.interrupted,
            "duration_seconds": round(self.duration_seconds, 3),
            "summary": self.counts(),
            "api_calls": sum(r.api_calls for r in self.results),
            "notes": list(self.notes),
            "results": [r.to_dict() for r in self.results],
        }
        if self.environment is not None:
            data["environment"] = self.environment
        return data
