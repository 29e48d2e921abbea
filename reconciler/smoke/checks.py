"""A finished run checked against ``spec.smoke.expect``: one :class:`CheckResult` per expectation.

Pure. The runner fetches the result and downloads the files an expectation needs to look inside
(:func:`needs_bytes`), then hands everything over as a :class:`RunOutcome`. Checks: the result status
(default ``succeeded``), ``max_duration_seconds``, and per output node and channel: presence (a listed
node that produced nothing fails, naming what the run did produce), exact or min/max count, format from
the bytes' signature, width and height bounds from the header, and non-empty items. A file that could
not be downloaded makes its check an ``error`` (not evaluated), never a ``fail``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.manifest.model import ChannelExpectation, SmokeExpectation
from reconciler.smoke import media
from reconciler.smoke.report import CheckResult, SmokeStatus

ItemKey = tuple[str, str, int]
"""(node id, channel, item index) of one output item."""
Item = Mapping[str, Any] | str | bool
"""One output item: a file's dict, a text string, or a flag (ComfyUI's ``animated: [true]``)."""
Outputs = Mapping[str, Mapping[str, Sequence[Item]]]

PASS, FAIL, ERROR = SmokeStatus.PASS, SmokeStatus.FAIL, SmokeStatus.ERROR


@dataclass(frozen=True)
class RunOutcome:
    """What a run produced, as the checks need it."""

    status: str
    outputs: Outputs = field(default_factory=dict)
    files: Mapping[ItemKey, bytes] = field(default_factory=dict)
    download_errors: Mapping[ItemKey, str] = field(default_factory=dict)
    errors: tuple[str, ...] = ()
    duration_seconds: float | None = None


def needs_bytes(expectation: ChannelExpectation) -> bool:
    """Whether checking ``expectation`` means downloading the channel's files."""
    e = expectation
    bounds = (e.min_width, e.max_width, e.min_height, e.max_height)
    return e.format is not None or any(b is not None for b in bounds) or bool(e.non_empty) or e.similar_to is not None


def describe_outputs(outputs: Outputs) -> str:
    """What a run produced, for messages: ``"9" (images: 2), "50" (text: 1)``, or ``nothing``."""
    parts = []
    for node_id, channels in outputs.items():
        inner = ", ".join(f"{channel}: {len(items)}" for channel, items in channels.items() if channel != "animated")
        parts.append(f"{json.dumps(node_id)} ({inner or 'no items'})")
    return ", ".join(parts) or "nothing"


def check_all(expect: SmokeExpectation, outcome: RunOutcome) -> list[CheckResult]:
    """Every expectation of ``expect`` checked against ``outcome``, in a stable order."""
    results = [_status(expect, outcome)]
    if expect.max_duration_seconds is not None:
        results.append(_duration(expect.max_duration_seconds, outcome.duration_seconds))
    if outcome.status != "succeeded" and results[0].status is FAIL:
        return results  # outputs of a run that did not succeed would only repeat "produced nothing"
    for node_id, channels in expect.outputs.items():
        for channel, expectation in channels.items():
            results.extend(_channel(node_id, channel, expectation, outcome))
    return results


def verdict(checks: Sequence[CheckResult]) -> tuple[SmokeStatus, str]:
    """The test's status and reason from its checks: the first error wins, then the first failure."""
    for status in (ERROR, FAIL):
        bad = [c for c in checks if c.status is status]
        if bad:
            more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
            return status, f"{bad[0].name}: {bad[0].message}{more}"
    return PASS, f"{len(checks)} check{'s' if len(checks) != 1 else ''} passed"


def _status(expect: SmokeExpectation, outcome: RunOutcome) -> CheckResult:
    if outcome.status == expect.status:
        return CheckResult("status", PASS, f"run {outcome.status}")
    why = f": {'; '.join(outcome.errors)}" if outcome.errors else ""
    return CheckResult("status", FAIL, f"expected {expect.status}, run {outcome.status}{why}")


def _duration(limit: float, took: float | None) -> CheckResult:
    if took is None:
        return CheckResult("max_duration_seconds", ERROR, "the run's duration is unknown")
    if took <= limit:
        return CheckResult("max_duration_seconds", PASS, f"took {took:.1f}s (limit {limit:g}s)")
    return CheckResult("max_duration_seconds", FAIL, f"took {took:.1f}s, more than the limit of {limit:g}s")


def _count_bounds(e: ChannelExpectation) -> tuple[int, int | None]:
    if e.count is not None:
        return e.count, e.count
    low = e.min_count if e.min_count is not None else (0 if e.max_count == 0 else 1)
    return low, e.max_count


def _channel(node_id: str, channel: str, e: ChannelExpectation, outcome: RunOutcome) -> list[CheckResult]:
    base = f"outputs.{json.dumps(node_id)}.{channel}"
    node = outcome.outputs.get(node_id)
    items = list((node or {}).get(channel, []))
    low, high = _count_bounds(e)
    if not items and low > 0:
        if node is None:
            text = f"node {json.dumps(node_id)} produced nothing; the run produced {describe_outputs(outcome.outputs)}"
        else:
            text = (f"node {json.dumps(node_id)} produced no {channel}; it produced "
                    f"{describe_outputs({node_id: node})}")
        return [CheckResult(base, FAIL, text)]
    results: list[CheckResult] = []
    if e.count is not None or e.min_count is not None or e.max_count is not None:
        results.append(_count(f"{base}.count", len(items), low, high, exact=e.count is not None))
    keys = [(node_id, channel, i) for i in range(len(items))]
    if e.format is not None:
        results.append(_per_file(f"{base}.format", items, keys, outcome, lambda info: _format(info, e.format)))
    for axis, lo, hi in (("width", e.min_width, e.max_width), ("height", e.min_height, e.max_height)):
        if lo is not None or hi is not None:
            results.append(_per_file(f"{base}.{axis}", items, keys, outcome, _size_rule(axis, lo, hi)))
    if e.non_empty:
        results.append(_non_empty(f"{base}.non_empty", items, keys, outcome))
    return results


def _count(name: str, got: int, low: int, high: int | None, *, exact: bool) -> CheckResult:
    if exact:
        wanted = f"exactly {low}"
    elif high is None:
        wanted = f"at least {low}"
    else:
        wanted = f"between {low} and {high}"
    ok = got >= low and (high is None or got <= high)
    return CheckResult(name, PASS if ok else FAIL, f"{got} item{'s' if got != 1 else ''} (expected {wanted})")


def _format(info: media.MediaInfo, wanted: str | None) -> str | None:
    return None if info.format == wanted else f"is {info.format or 'of an unknown format'}, expected {wanted}"


def _size_rule(axis: str, low: int | None, high: int | None) -> Any:
    def rule(info: media.MediaInfo) -> str | None:
        value = info.width if axis == "width" else info.height
        if value is None:
            return f"has no readable {axis} ({info.format or 'unknown format'})"
        if low is not None and value < low:
            return f"{axis} {value} is below the minimum {low}"
        if high is not None and value > high:
            return f"{axis} {value} is above the maximum {high}"
        return None

    return rule


def _label(index: int, item: Item) -> str:
    name = item.get("filename") if isinstance(item, Mapping) else None
    return f"item {index + 1}" + (f" ({name})" if name else "")


def _per_file(
    name: str, items: list[Item], keys: list[ItemKey], outcome: RunOutcome, rule: Any
) -> CheckResult:
    problems: list[str] = []
    seen: list[str] = []
    for index, (item, key) in enumerate(zip(items, keys, strict=True)):
        data = outcome.files.get(key)
        if data is None:
            why = outcome.download_errors.get(key, "it has no downloadable url")
            return CheckResult(name, ERROR, f"{_label(index, item)} could not be read: {why}")
        info = media.inspect(data)
        problem = rule(info)
        if problem is not None:
            problems.append(f"{_label(index, item)} {problem}")
        seen.append(f"{info.format}" + (f" {info.width}x{info.height}" if info.width else ""))
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return CheckResult(name, FAIL, problems[0] + more)
    return CheckResult(name, PASS, ", ".join(seen) or "no items")


def _text_of(item: Item, data: bytes | None) -> str | None:
    if isinstance(item, str):
        return item
    if isinstance(item, bool):
        return None
    for key in ("text", "content", "value"):
        if isinstance(item.get(key), str):
            return str(item[key])
    if data is not None:
        return data.decode("utf-8", errors="replace") if data else ""
    return None


def _non_empty(
    name: str, items: list[Item], keys: list[ItemKey], outcome: RunOutcome
) -> CheckResult:
    if not items:
        return CheckResult(name, FAIL, "no items")
    for index, (item, key) in enumerate(zip(items, keys, strict=True)):
        text = _text_of(item, outcome.files.get(key))
        if text is None:
            why = outcome.download_errors.get(key, "no text and nothing to download")
            return CheckResult(name, ERROR, f"{_label(index, item)} could not be read: {why}")
        if not text.strip():
            return CheckResult(name, FAIL, f"{_label(index, item)} is empty")
    return CheckResult(name, PASS, f"{len(items)} non-empty item{'s' if len(items) != 1 else ''}")
