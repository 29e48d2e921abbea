"""One request in the local history, and the pure decisions made over the history.

Pure: no files, no clock (``now`` is passed in). An :class:`Entry` holds ids, states and times only,
and :func:`from_json` keeps only those keys from a line, each checked, so a hand-edited or foreign
line can never carry anything else (an override value, an output URL) into ComfyOps' output.
Times are ISO 8601 UTC strings of the local clock: when the request was submitted, when its state
was last observed, and when it was first seen finished.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

TERMINAL: Final[frozenset[str]] = frozenset({"completed", "cancelled"})
"""Queue statuses that no longer change."""

_ID: Final[re.Pattern[str]] = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@/+=~-]{0,199}$")  # no ?, &, %, spaces
_WORD: Final[re.Pattern[str]] = re.compile(r"^[a-z_]{1,40}$")
_LABEL: Final[re.Pattern[str]] = re.compile(r"^[A-Za-z0-9.:_\[\]-]{1,200}$")
_NAME: Final[re.Pattern[str]] = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")
_ID_FIELDS: Final[tuple[str, ...]] = ("request_id", "deployment_id", "instance_id")
_WORD_FIELDS: Final[tuple[str, ...]] = ("source", "status", "outcome")
_TIME_FIELDS: Final[tuple[str, ...]] = ("submitted_at", "updated_at", "finished_at")


def iso(moment: datetime) -> str:
    """``moment`` as ISO 8601 UTC with second precision, e.g. ``2026-11-27T16:40:02Z``."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def word(text: str | None) -> str | None:
    """A status as the history stores it: lower case, ``[a-z_]`` only (``In-Progress`` -> ``in_progress``)."""
    if not text:
        return None
    return re.sub(r"[^a-z_]", "_", text.strip().lower())[:40] or None


def parse_time(text: str | None) -> datetime | None:
    """An ISO 8601 time (``Z`` or an offset; naive means UTC), or None when absent or unreadable."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Entry:
    """One request ComfyOps submitted: where, by what, its last known state, and when."""

    request_id: str
    deployment_id: str
    deployment: str
    """The deployment's name when the request was submitted."""
    source: str
    """``smoke`` or ``run``."""
    api: str
    """Which API it went to: ``emulator``, or the API's host (``api.runcomfy.net``)."""
    submitted_at: str
    updated_at: str
    status: str = "submitted"
    """Last known queue status: ``submitted``, ``in_queue``, ``in_progress``, ``completed``, ``cancelled``."""
    outcome: str | None = None
    """The result's status once known: ``succeeded``, ``failed`` or ``cancelled``."""
    instance_id: str | None = None
    finished_at: str | None = None

    @property
    def is_terminal(self) -> bool:
        """Whether the request has stopped, so its status will not change any more."""
        return self.status in TERMINAL

    def observed(self, now: datetime, *, status: str | None = None, outcome: str | None = None,
                 instance_id: str | None = None) -> Entry:
        """This entry after seeing ``status`` / ``outcome`` / ``instance_id`` at ``now`` (None: unchanged)."""
        new_status, outcome = word(status) or self.status, word(outcome)
        if outcome is not None and new_status not in TERMINAL:  # a result means the request has stopped
            new_status = "cancelled" if outcome == "cancelled" else "completed"
        if new_status == "cancelled":
            outcome = "cancelled"
        finished = self.finished_at or (iso(now) if new_status in TERMINAL else None)
        return replace(self, status=new_status, outcome=outcome or self.outcome,
                       instance_id=instance_id or self.instance_id, updated_at=iso(now), finished_at=finished)

    def last_active(self) -> datetime | None:
        """When the request was last known to occupy its instance: when it finished, else last seen."""
        return parse_time(self.finished_at) or parse_time(self.updated_at)

    def to_json(self) -> dict[str, Any]:
        """The JSON object of one history line (and of ``requests --format json``)."""
        return asdict(self)


def from_json(data: Any) -> Entry | None:
    """The entry a history line holds, or None when it is not a well-formed entry.

    Only the known keys are read, and each must look like what ComfyOps writes (ids of safe
    characters, lower-case words, ISO times), so nothing else ever comes out of the history.
    """
    if not isinstance(data, Mapping):
        return None
    fields: dict[str, Any] = {}
    for key in _ID_FIELDS:
        value = data.get(key)
        if value is not None and not (isinstance(value, str) and _ID.match(value)):
            return None
        fields[key] = value
    for key in _WORD_FIELDS:
        value = data.get(key)
        if value is not None and not (isinstance(value, str) and _WORD.match(value)):
            return None
        fields[key] = value
    for key in _TIME_FIELDS:
        value = data.get(key)
        if value is not None and (not isinstance(value, str) or parse_time(value) is None):
            return None
        fields[key] = value
    name, api = data.get("deployment"), data.get("api")
    if not (isinstance(name, str) and _NAME.match(name) and isinstance(api, str) and _LABEL.match(api)):
        return None
    required = ("request_id", "deployment_id", "source", "submitted_at", "updated_at", "status")
    if any(fields[key] is None for key in required):
        return None
    return Entry(deployment=name, api=api, **fields)


def latest(entries: Iterable[Entry]) -> list[Entry]:
    """One entry per request (the last one written wins), oldest submission first (ties: first written)."""
    by_id: dict[str, Entry] = {}
    for entry in entries:
        by_id[entry.request_id] = entry  # a dict keeps each request where it first appeared
    return sorted(by_id.values(), key=lambda e: e.submitted_at)


def for_deployment(entries: Iterable[Entry], deployment_id: str) -> list[Entry]:
    """The entries of one deployment (by id, so a renamed deployment keeps its history)."""
    return [e for e in entries if e.deployment_id == deployment_id]


@dataclass(frozen=True)
class WarmInstance:
    """An instance the history says may still be running, and the request that tells."""

    instance_id: str
    entry: Entry
    warm_until: datetime | None
    """When keep-warm ends if nothing else runs on it; None while its request is not known to be over."""


def warm_instance(entries: Sequence[Entry], deployment_id: str, *, keep_warm_seconds: int,
                  now: datetime) -> WarmInstance | None:
    """The most recently active instance of a deployment that may still be warm, or None.

    An instance may be warm while one of its requests is unfinished as far as the history knows
    (and was seen within keep-warm), or until ``keep_warm_seconds`` after its last request finished.
    """
    candidates = [e for e in for_deployment(entries, deployment_id) if e.instance_id and e.last_active()]
    candidates.sort(key=lambda e: e.last_active() or now, reverse=True)
    for entry in candidates:
        active = entry.last_active()
        assert active is not None and entry.instance_id is not None
        until = active + timedelta(seconds=keep_warm_seconds)
        if now <= until:
            return WarmInstance(entry.instance_id, entry, until if entry.is_terminal else None)
    return None
