"""Saved ``validate`` results: find one for a key, check its inputs, replay it; run, watch and save.

Effectful (reads and writes ``.comfyops/validate-cache/``, prints the saved output). One file per key
(:func:`reconciler.resultcache.key.primary_key`), written whole through :mod:`reconciler.workspace`'s
safe write (a temporary file renamed over it, never through a link). A file that is a link, sits in a
linked folder, is too large, or does not parse as an entry of this format is ignored (a full run
replaces it); so is any entry whose recorded inputs do not all read the same again.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler import workspace
from reconciler.resultcache import inputs
from reconciler.resultcache.key import FORMAT, value_digest

if TYPE_CHECKING:
    from reconciler.resultcache.recorder import Recorder

ENTRY_LIMIT = 8 * 1024 * 1024
"""Largest saved result (bytes of JSON); a run printing more is not saved."""
KEPT = 64
"""Results kept; saving one more removes the least recently written."""
SAVED_EXIT_CODES = (0, 1)
"""Valid, or problems found: both are what the inputs say, so both are replayed. A bug (3), an
interruption (130) or anything else is not."""


def entry_path(key: str) -> Path:
    """The file holding the result saved under ``key``."""
    return workspace.validate_cache() / f"{key[:40]}.json"


def replay(key: str) -> int | None:
    """Print the result saved under ``key`` and return its exit code, when every input it recorded reads
    the same now; None (having printed nothing) otherwise."""
    entry = _load(entry_path(key))
    if entry is None or entry.get("format") != FORMAT or entry.get("key") != key:
        return None
    output, code = entry.get("output"), entry.get("exit")
    if not (isinstance(output, list) and all(_is_chunk(chunk) for chunk in output)):
        return None
    if type(code) is not int or code not in SAVED_EXIT_CODES:
        return None
    try:
        if not _unchanged(entry["inputs"]):
            return None
    except (inputs.Unreadable, KeyError, TypeError, ValueError, AttributeError):
        return None
    for fd, text in output:
        stream = sys.stdout if fd == 1 else sys.stderr
        stream.write(text)
        stream.flush()
    return code


def run_and_save(key: str, full_run: Callable[[], object]) -> None:
    """Run ``full_run`` (the command line, which exits) under a :class:`Recorder`, and save its result
    under ``key`` when the recorder has no doubt and the exit code is one of :data:`SAVED_EXIT_CODES`.

    When the result saved before (now stale: an input changed) needed the Rego worker, it is started at
    once (``rego.prestart``): it loads while the manifests are read, as they most likely still name
    policies (the edit-and-validate loop of a pre-commit hook or an editor)."""
    from reconciler.resultcache.recorder import Recorder  # a replay never needs it

    if sys.stdout is None or sys.stderr is None:  # nowhere to print (pythonw): nothing to save either
        full_run()
        return
    stale = _load(entry_path(key))
    recorder = Recorder()
    code: object = None
    try:
        recorder.start()
    except Exception:  # cannot watch the run: run it unwatched, save nothing
        recorder.stop()
        full_run()
        return
    try:
        if stale is not None and stale.get("policy_worker") is True:
            from reconciler.policy import rego

            rego.prestart()
        full_run()
        code = 0
    except SystemExit as exc:
        code = 0 if exc.code is None else exc.code
        raise
    finally:
        recorder.stop()
        if code in SAVED_EXIT_CODES and isinstance(code, int):
            save(key, recorder, code)


def save(key: str, recorder: Recorder, code: int) -> bool:
    """Save what ``recorder`` saw under ``key``; whether it was saved. Never raises, never prints."""
    if recorder.doubts:
        return False
    try:
        entry = {"format": FORMAT, "key": key, "inputs": recorder.inputs(), "output": recorder.output,
                 "exit": code, "policy_worker": recorder.started_policy_worker}
        text = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
        if len(text) > ENTRY_LIMIT:
            return False
        path = entry_path(key)
        workspace.write_text(path, text, inside=workspace.root())
        _prune(path.parent)
    except Exception:  # a result that cannot be saved is simply not saved (not even a bug here is an error)
        return False
    return True


def _is_chunk(chunk: object) -> bool:
    """Whether ``chunk`` is one saved piece of output: ``[1 or 2, text]``."""
    return isinstance(chunk, list) and len(chunk) == 2 and chunk[0] in (1, 2) and isinstance(chunk[1], str)


def _unchanged(recorded: dict[str, Any]) -> bool:
    """Whether every recorded input reads the same now (raises :class:`inputs.Unreadable` when one cannot)."""
    for name, digest in recorded["env"].items():
        if value_digest(name, os.environ.get(name)) != digest:
            return False
    for spec, kind in recorded["paths"].items():
        if inputs.spec_state(spec) != kind:
            return False
    for path, listing in recorded["folders"].items():
        if inputs.folder_state(path) != listing:
            return False
    return all(inputs.file_state(path) == state for path, state in recorded["files"].items())


def _load(path: Path) -> dict[str, Any] | None:
    """The entry in ``path``, or None when there is none or it cannot be trusted (a link, in a linked
    folder, not a regular file, too large, not JSON of the right shape)."""
    try:
        for folder in (path.parent.parent, path.parent):
            if stat.S_ISLNK(os.lstat(folder).st_mode):
                return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > ENTRY_LIMIT:
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(ENTRY_LIMIT + 1)
        entry = json.loads(data.decode("utf-8"))
    except (OSError, ValueError, RecursionError):  # RecursionError: JSON nested too deep
        return None
    finally:
        os.close(fd)
    return entry if isinstance(entry, dict) else None


def _prune(folder: Path) -> None:
    """Keep the :data:`KEPT` most recently written results in ``folder``."""
    found = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.endswith(".json") and entry.is_file(follow_symlinks=False):
                found.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.path))
    for _mtime, stale in sorted(found, reverse=True)[KEPT:]:
        workspace.remove(Path(stale))
