"""The working copy's ``.comfyops/`` folder: where it is, what it holds, and safe writes into it.

Effectful (reads the environment and the file system; writes files). This is the one place that names a
path under ``.comfyops/`` and the environment variable that overrides it:

=========================  ==============================  =====================================
what                       where                           override
=========================  ==============================  =====================================
embedded emulator state    ``.comfyops/emulator/``         ``COMFYOPS_EMULATOR_STATE``
request history            ``.comfyops/history.jsonl``     ``COMFYOPS_HISTORY``
object_info cache          ``.comfyops/cache/``            ``COMFYOPS_CACHE_DIR``
``run --wait`` outputs     ``.comfyops/outputs/<rid>/``    ``run --out DIR``
apply lock                 ``.comfyops/apply.lock``        (none: it guards the working copy)
reconcile's seen records   ``.comfyops/reconcile/``        ``COMFYOPS_RECONCILE_STATE``
=========================  ==============================  =====================================

One rule says where ``.comfyops/`` is (:func:`root`): at the root of the git working copy that holds the
start folder (the manifests' folder, else the working directory), found by walking up to the nearest
``.git``; outside a repository, the working directory (or the start folder when that is not under it).
So a command run from a subfolder of a repository uses the same emulator, history, cache and lock as
one run from its root: running from a subfolder never splits the state. Paths are returned relative to
the working directory when they are under it, as messages show them.

Safe writes (ARCHITECTURE §8: ``.comfyops/`` may hold links planted by a commit): :func:`write_text` and
:func:`write_bytes` write a temporary file in the same folder and rename it over the target, so a reader
never sees half a file and a link at the target is replaced, never written through; :func:`append_line`
appends one line without following a link (the history); :func:`create_exclusive` creates a file only
if nothing is there, link or not (a lock). Each refuses a folder on the way that is a link, from
``inside`` (the workspace root, when given) down.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from reconciler.readfile import repository_root

DIR_NAME: Final[str] = ".comfyops"
EMULATOR_STATE_ENV: Final[str] = "COMFYOPS_EMULATOR_STATE"
HISTORY_ENV: Final[str] = "COMFYOPS_HISTORY"
CACHE_ENV: Final[str] = "COMFYOPS_CACHE_DIR"
RECONCILE_STATE_ENV: Final[str] = "COMFYOPS_RECONCILE_STATE"
EMULATOR_DIR: Final[str] = "emulator"
HISTORY_FILE: Final[str] = "history.jsonl"
CACHE_DIR: Final[str] = "cache"
OUTPUTS_DIR: Final[str] = "outputs"
LOCK_FILE: Final[str] = "apply.lock"
RECONCILE_DIR: Final[str] = "reconcile"
_NOFOLLOW: Final[int] = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC: Final[int] = getattr(os, "O_CLOEXEC", 0)


class UnsafePath(OSError):
    """A write that would go through a link (or into a folder reached through one); refused."""


def start_folder(manifests: Sequence[str | Path] = ()) -> Path:
    """The folder a command starts from: the manifests' common folder, else the working directory."""
    folders = []
    for item in manifests:
        path = Path(item).resolve()
        folders.append(path if path.is_dir() else path.parent)
    return Path(os.path.commonpath(folders)) if folders else Path.cwd().resolve()


def root(start: Path | None = None) -> Path:
    """The folder holding ``.comfyops/`` for a command starting in ``start`` (default: the working directory).

    The git working copy's root; outside a repository, the working directory when ``start`` is under it,
    else ``start`` itself. An absolute path.
    """
    cwd = Path.cwd().resolve()
    here = start.resolve() if start is not None else cwd
    found = repository_root(here)
    if found is not None:
        return found
    return cwd if here == cwd or cwd in here.parents else here


def shown(path: Path) -> Path:
    """``path`` as messages show it: relative to the working directory when under it (or beside it)."""
    cwd = Path.cwd().resolve()
    try:
        return path.relative_to(cwd)
    except ValueError:
        return Path(os.path.relpath(path, cwd)) if path.anchor == cwd.anchor else path


def folder(start: Path | None = None) -> Path:
    """The ``.comfyops/`` folder for a command starting in ``start`` (see :func:`root`), as shown."""
    return shown(root(start) / DIR_NAME)


def emulator_state(manifests: Sequence[str | Path] = ()) -> Path:
    """The embedded emulator's state folder: ``COMFYOPS_EMULATOR_STATE``, else ``.comfyops/emulator``."""
    configured = os.environ.get(EMULATOR_STATE_ENV)
    if configured:
        return Path(configured)
    return folder(start_folder(manifests)) / EMULATOR_DIR


def emulator_state_configured() -> bool:
    """Whether ``COMFYOPS_EMULATOR_STATE`` chooses the emulator's state folder."""
    return bool(os.environ.get(EMULATOR_STATE_ENV))


def history_file() -> Path:
    """The request history: ``COMFYOPS_HISTORY``, else ``.comfyops/history.jsonl``."""
    configured = os.environ.get(HISTORY_ENV)
    return Path(configured) if configured else folder() / HISTORY_FILE


def cache_dir() -> Path:
    """The download cache (object_info): ``COMFYOPS_CACHE_DIR``, else ``.comfyops/cache``."""
    configured = os.environ.get(CACHE_ENV)
    return Path(configured) if configured else folder() / CACHE_DIR


def outputs_dir(request_id: str) -> Path:
    """Where ``run --wait`` downloads one request's outputs by default: ``.comfyops/outputs/<request id>``."""
    return folder() / OUTPUTS_DIR / request_id


def reconcile_state(start: Path | None = None) -> Path:
    """Where reconcile records the deployments it has seen live: ``COMFYOPS_RECONCILE_STATE``, else
    ``.comfyops/reconcile`` of the working copy (an absolute path)."""
    configured = os.environ.get(RECONCILE_STATE_ENV)
    return Path(configured) if configured else root(start) / DIR_NAME / RECONCILE_DIR


def apply_lock(start: Path | None = None) -> Path:
    """The working copy's apply lock (one apply at a time), as an absolute path."""
    return root(start) / DIR_NAME / LOCK_FILE


def _refuse_links(path: Path, inside: Path | None) -> None:
    """Refuse ``path`` when it, or a folder between ``inside`` and it, is a link."""
    if inside is None:
        return
    base = Path(os.path.abspath(inside))
    target = Path(os.path.abspath(path))
    try:
        parts = target.relative_to(base).parts
    except ValueError:
        raise UnsafePath(f"{path} is not inside {inside}") from None
    current = base
    for part in parts[:-1]:
        current = current / part
        if current.is_symlink():
            raise UnsafePath(f"refusing to write {path}: {current} is a link")


def write_bytes(path: Path, data: bytes, *, inside: Path | None = None, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` atomically: a temporary file in the same folder, then renamed over it.

    A link at ``path`` is replaced, never written through; folders are created as needed. ``inside``
    (e.g. the workspace root) also refuses a folder on the way that is a link. ``mode`` sets the file's
    permissions (otherwise the temporary file's: readable by its owner only).
    """
    _refuse_links(path, inside)
    path.parent.mkdir(parents=True, exist_ok=True)
    _refuse_links(path, inside)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def write_text(path: Path, text: str, *, inside: Path | None = None) -> None:
    """:func:`write_bytes` of ``text`` as UTF-8."""
    write_bytes(path, text.encode("utf-8"), inside=inside)


def remove(path: Path) -> bool:
    """Delete ``path`` if it exists (a link itself, never its target); whether there was one."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def append_line(path: Path, line: str, *, inside: Path | None = None) -> None:
    """Append ``line`` (a newline added) to ``path`` in one write, creating it; never through a link."""
    _refuse_links(path, inside)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW | _CLOEXEC, 0o644)
    try:
        os.write(fd, (line.rstrip("\n") + "\n").encode("utf-8"))
    finally:
        os.close(fd)


def create_exclusive(path: Path, text: str = "", *, inside: Path | None = None) -> bool:
    """Create ``path`` holding ``text`` only if nothing (not even a link) is there; False when something is."""
    _refuse_links(path, inside)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o644)
    except FileExistsError:
        return False
    try:
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)
    return True
