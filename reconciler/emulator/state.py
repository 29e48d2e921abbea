"""The emulator's persistent state: deployments, workflows, requests, config and faults as JSON.

One file, ``state.json``, under the state directory (default ``.comfyops/emulator/``, or
``COMFYOPS_EMULATOR_STATE``), so that separate commands (plan, apply, plan) and separate emulator
processes see the same account. Writes are atomic (a temp file in the same directory, fsync,
``os.replace``); every access holds one re-entrant lock, and a read first reloads the file if
another process replaced it since (by mtime and size), so a ``serve`` process and ``--emulator``
commands sharing a directory stay consistent between requests (last writer wins on a true race).
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reconciler import readfile, workspace
from reconciler.catalog import DEFAULT_BURST, DEFAULT_REQUESTS_PER_SECOND, SAVED_VERSIONS_PER_WORKFLOW
from reconciler.errors import ReconcilerError

STATE_FILE = "state.json"
FORMAT_VERSION = 1

DEFAULT_CONFIG: dict[str, Any] = {
    "queue_seconds": 1.0,
    "run_seconds": 2.0,
    "fail_next_runs": 0,
    "rate_limit_enabled": True,
    "rate_limit_per_second": DEFAULT_REQUESTS_PER_SECOND,
    "rate_limit_burst": DEFAULT_BURST,
    "noise": 0.0,
    "outputs_host": "",
}
"""Emulator behaviour settings; change them with ``POST /_emulator/config`` or :meth:`configure`.

``outputs_host`` (empty: the API's own host) is the host name hosted files (outputs, object_info) are
linked under, e.g. ``localhost`` while the API is reached at ``127.0.0.1``: RunComfy serves them from its
storage, another host than the API's, where the bearer token must not go and the rate limit does not count."""


def default_state_dir() -> Path:
    """The working copy's emulator state folder (:func:`reconciler.workspace.emulator_state`)."""
    return workspace.emulator_state()


def _empty() -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "workflows": {},
        "deployments": {},
        "requests": {},
        "config": dict(DEFAULT_CONFIG),
        "faults": {},
    }


_HOST = re.compile(r"[A-Za-z0-9.-]{0,253}")


def _check_config(key: str, value: Any) -> Any:
    if key not in DEFAULT_CONFIG:
        raise ValueError(f"unknown config key {key!r} (known: {', '.join(sorted(DEFAULT_CONFIG))})")
    if key == "outputs_host":
        if not isinstance(value, str) or not _HOST.fullmatch(value):
            raise ValueError("outputs_host must be a host name (letters, digits, '-' and '.') or empty")
        return value
    if key == "rate_limit_enabled":
        if not isinstance(value, bool):
            raise ValueError("rate_limit_enabled must be a boolean")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{key} must be a non-negative number")
    if key == "noise" and value > 1:
        raise ValueError("noise must be a number from 0 to 1 (the fraction of full scale of the pixel noise)")
    if key in ("fail_next_runs", "rate_limit_burst"):
        return int(value)
    return float(value)


class CorruptState(ReconcilerError):
    """The emulator's ``state.json`` cannot be read as its state (a hand edit, a disk problem)."""


_SECTIONS = {"deployments": dict, "requests": dict, "workflows": dict, "config": dict}


def _load(path: Path) -> dict[str, Any]:
    """The state saved at ``path``, or :class:`CorruptState` saying what is wrong and how to start over."""
    hint = f"fix or remove {path} (or run: comfyops emulator reset) to start from an empty emulator"
    try:
        loaded = json.loads(readfile.read_text(path, limit=readfile.RECORD_LIMIT))
    except (readfile.FileProblem, ValueError, RecursionError) as exc:
        reason = ("nested too deeply" if isinstance(exc, RecursionError)
                  else exc.message if isinstance(exc, readfile.FileProblem) else str(exc).splitlines()[0][:200])
        raise CorruptState(f"the emulator state {path}: not readable JSON ({reason})", hint) from None
    if not isinstance(loaded, dict):
        raise CorruptState(f"the emulator state {path}: not a JSON object", hint)
    for key, kind in _SECTIONS.items():
        if key in loaded and not isinstance(loaded[key], kind):
            raise CorruptState(f"the emulator state {path}: {key!r} is not a JSON object", hint)
    return loaded


class EmulatorState:
    """Thread-safe, file-backed state of one emulated RunComfy account."""

    def __init__(self, state_dir: Path | None = None, *, read_only: bool = False) -> None:
        """Open (or start) the state kept in ``state_dir`` (default :func:`default_state_dir`).

        ``read_only`` keeps every change in memory and never writes the directory (``plan --emulator``).
        """
        self.state_dir = Path(state_dir) if state_dir is not None else default_state_dir()
        self.read_only = read_only
        self.lock = threading.RLock()
        self._data: dict[str, Any] = _empty()
        self._stamp: tuple[int, int] | None = None
        with self.lock:
            self._reload_if_changed()

    @property
    def path(self) -> Path:
        """The JSON file holding the state."""
        return self.state_dir / STATE_FILE

    def _reload_if_changed(self) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            if self._stamp is not None:  # the file was removed (``emulator reset``): start empty
                self._data, self._stamp = _empty(), None
            return
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            loaded = _load(self.path)
            data = _empty()
            data.update(loaded)
            data["config"] = {**DEFAULT_CONFIG, **loaded.get("config", {})}
            self._data, self._stamp = data, stamp

    def _save(self) -> None:
        if self.read_only:
            return
        workspace.write_text(self.path, json.dumps(self._data, indent=1, sort_keys=True))
        stat = self.path.stat()
        self._stamp = (stat.st_mtime_ns, stat.st_size)

    @contextlib.contextmanager
    def read(self) -> Iterator[dict[str, Any]]:
        """Hold the lock and yield the current data (do not mutate it)."""
        with self.lock:
            self._reload_if_changed()
            yield self._data

    @contextlib.contextmanager
    def transaction(self) -> Iterator[dict[str, Any]]:
        """Hold the lock, yield the data to mutate, and save it atomically if no exception escapes."""
        with self.lock:
            self._reload_if_changed()
            try:
                yield self._data
            except BaseException:  # roll back: forget the in-memory edits, reread the file
                self._data, self._stamp = _empty(), None
                self._reload_if_changed()
                raise
            self._save()

    def register_workflow(self, workflow_id: str, version: str, graph: dict[str, Any]) -> list[str]:
        """Store (or replace) the ``workflow_api.json`` of ``workflow_id`` at ``version``, as a Cloud Save does.

        RunComfy keeps at most three saved versions per workflow: saving a new one removes the oldest
        version no deployment uses (versions in use are kept, even above the limit). Returns the
        versions removed.
        """
        with self.transaction() as data:
            versions = data["workflows"].setdefault(workflow_id, {})
            new = version not in versions
            versions[version] = copy.deepcopy(graph)
            if not new:
                return []
            used = {
                d["workflow_version"] for d in data["deployments"].values()
                if d["workflow_id"] == workflow_id and not d.get("deleted")
            }
            unused = [v for v in versions if v not in used and v != version]  # oldest first (insertion order)
            removed = unused[: max(0, len(versions) - SAVED_VERSIONS_PER_WORKFLOW)]
            for old in removed:
                del versions[old]
            return removed

    def workflow(self, workflow_id: str, version: str) -> dict[str, Any] | None:
        """The stored graph of ``workflow_id`` at ``version``, or None if it is not registered."""
        with self.read() as data:
            graph = data["workflows"].get(workflow_id, {}).get(version)
            return copy.deepcopy(graph) if graph is not None else None

    def workflows(self) -> dict[str, list[str]]:
        """Registered workflow ids and their versions."""
        with self.read() as data:
            return {wid: sorted(versions) for wid, versions in data["workflows"].items()}

    def config(self) -> dict[str, Any]:
        """A copy of the current behaviour settings."""
        with self.read() as data:
            return dict(data["config"])

    def configure(self, **changes: Any) -> dict[str, Any]:
        """Validate and apply setting changes (see :data:`DEFAULT_CONFIG`); returns the new settings."""
        checked = {key: _check_config(key, value) for key, value in changes.items()}
        with self.transaction() as data:
            data["config"].update(checked)
            return dict(data["config"])

    def counts(self) -> dict[str, int]:
        """How many deployments (live), workflow versions and requests the state holds."""
        with self.read() as data:
            return {
                "deployments": sum(1 for d in data["deployments"].values() if not d.get("deleted")),
                "workflow_versions": sum(len(v) for v in data["workflows"].values()),
                "requests": len(data["requests"]),
            }

    def reset(self) -> dict[str, int]:
        """Forget everything (deployments, workflows, requests, config, faults); returns what was cleared."""
        with self.lock:
            cleared = self.counts()
            self._data = _empty()
            self._save()
            return cleared
