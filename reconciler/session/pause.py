"""Pausing self-heal for a freeze: ``comfyops reconcile pause`` / ``resume``, and what a pass reads.

Effectful (one small file). A pause lives in ``comfyops-pause.json`` in the manifest folder, committed
beside the manifests: a CI job starts from a fresh checkout, and a watching process re-reads the folder every
pass (after its git pull), so both see the same pause, and the freeze itself is reviewed like any change.
``.comfyops/`` is not the place: it is local to one working copy and usually ignored by git.

The file maps an environment name (``*``: every environment) to ``until`` (ISO 8601, UTC; absent: until
``resume``), ``reason``, ``paused_at`` and ``paused_by``. A file that cannot be read as one is an error: a pass
that cannot tell whether it is paused stops rather than heal through a freeze.
"""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler import readfile, workspace
from reconciler.errors import ReconcilerError
from reconciler.manifest.model import expiry_instant

FILE_NAME = "comfyops-pause.json"
ALL = "*"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Pause:
    """One environment's pause."""

    environment: str
    until: datetime | None
    reason: str
    paused_at: str = ""
    paused_by: str = ""

    def active(self, now: datetime) -> bool:
        """Whether the pause still holds at ``now``."""
        return self.until is None or now < self.until

    def describe(self, now: datetime) -> str:
        """One line for reports: who paused, why, until when (or that it has ended)."""
        scope = "every environment" if self.environment == ALL else f"environment {self.environment}"
        until = f"until {_iso(self.until)}" if self.until is not None else "until `comfyops reconcile resume`"
        who = f" by {self.paused_by}" if self.paused_by else ""
        why = f": {self.reason}" if self.reason else ""
        if not self.active(now):
            return f"the pause of {scope}{who} ended at {_iso(self.until)}{why}; healing acts again"
        return f"heal is paused for {scope}{who} {until}{why}"


def pause_file(folder: Path) -> Path:
    """Where the pause of the manifests in ``folder`` lives."""
    return folder / FILE_NAME


def manifest_folder(files: tuple[str, ...]) -> Path:
    """The folder the pause file belongs in: the first ``-f`` folder, or the folder of the first ``-f`` file."""
    first = Path(files[0]) if files else Path(".")
    return first if first.is_dir() else first.parent


def read(path: Path) -> dict[str, Pause]:
    """Every pause in ``path`` by environment (empty when there is no file); an unreadable file is an error."""
    try:
        text = readfile.read_text(path, limit=readfile.SMALL_LIMIT)
    except readfile.FileProblem as exc:
        if exc.missing:
            return {}
        raise ReconcilerError(f"{path}: cannot read the pause file ({exc.message})", _FIX) from None
    try:
        data = json.loads(text)
        return {name: _pause(name, entry) for name, entry in data["pauses"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ReconcilerError(f"{path}: not a comfyops pause file ({type(exc).__name__}: {exc})", _FIX) from None


_FIX = "fix it, or remove it with `comfyops reconcile resume` (a pass cannot tell whether heal is paused)"


def effective(pauses: dict[str, Pause], environment: str | None) -> Pause | None:
    """The pause that applies to ``environment`` (its own, else the one for every environment)."""
    if environment is not None and environment in pauses:
        return pauses[environment]
    return pauses.get(ALL)


def add(path: Path, environment: str | None, until: str | None, reason: str, now: datetime) -> Pause:
    """Record a pause of ``environment`` (None: every environment) in ``path``; ``until`` is ISO 8601 (UTC): a
    date holds through that day, as an ``ignore_changes`` ``until`` does."""
    moment = None
    if until is not None:
        try:
            moment = expiry_instant(until)
        except ValueError:
            raise ReconcilerError(
                f"--until {until!r} is not a date (2026-12-31) or date and time (2026-12-31T18:00Z)"
            ) from None
        if moment <= now:
            raise ReconcilerError(f"--until {until!r} is in the past", "give a time after now (UTC)")
    pauses = read(path)
    entry = Pause(
        environment=environment or ALL, until=moment, reason=reason,
        paused_at=_iso(now), paused_by=_who(),
    )
    pauses[entry.environment] = entry
    _write(path, pauses)
    return entry


def remove(path: Path, environment: str | None) -> Pause | None:
    """Remove the pause of ``environment`` (None: the one for every environment); the removed one, if any."""
    pauses = read(path)
    gone = pauses.pop(environment or ALL, None)
    if gone is None:
        return None
    if pauses:
        _write(path, pauses)
    else:
        workspace.remove(path)
    return gone


def _write(path: Path, pauses: dict[str, Pause]) -> None:
    data = {
        "format_version": FORMAT_VERSION,
        "pauses": {
            p.environment: {"until": _iso(p.until) if p.until else None, "reason": p.reason,
                            "paused_at": p.paused_at, "paused_by": p.paused_by}
            for p in sorted(pauses.values(), key=lambda p: p.environment)
        },
    }
    workspace.write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def _pause(name: str, entry: dict[str, Any]) -> Pause:
    until = entry.get("until")
    return Pause(
        environment=str(name),
        until=expiry_instant(str(until)) if until else None,
        reason=str(entry.get("reason") or ""),
        paused_at=str(entry.get("paused_at") or ""),
        paused_by=str(entry.get("paused_by") or ""),
    )


def _iso(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment is not None else ""


def _who() -> str:
    """Who paused: the CI actor when there is one, else the local user."""
    actor = os.environ.get("GITHUB_ACTOR")
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""
