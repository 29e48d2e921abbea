"""The working copy's ``.comfyops/`` folder: where it is, what it holds, and safe writes into it.

Effectful (reads the environment and the file system; writes files). This is the one place that names a
path under ``.comfyops/`` and the environment variable that overrides it:

=========================  ================================  =====================================
what                       where                             override
=========================  ================================  =====================================
embedded emulator state    ``.comfyops/emulator/``           ``COMFYOPS_EMULATOR_STATE``
request history            ``.comfyops/history.jsonl``       ``COMFYOPS_HISTORY``
object_info cache          ``.comfyops/cache/``              ``COMFYOPS_CACHE_DIR``
``run --wait`` outputs     ``.comfyops/outputs/<rid>/``      ``run --out DIR``
apply lock                 ``.comfyops/apply.lock``          (none: it guards the working copy)
apply journal              ``.comfyops/apply-journal.json``  (none: it belongs with the lock)
reconcile's seen records   ``.comfyops/reconcile/``          ``COMFYOPS_RECONCILE_STATE``
validate's saved results   ``.comfyops/validate-cache/``     ``validate --no-cache`` (not used)
=========================  ================================  =====================================

One rule says where ``.comfyops/`` is (:func:`root`): at the root of the git working copy that holds the
start folder (the manifests' folder, else the working directory), found by walking up to the nearest
``.git``; outside a repository, the working directory (or the start folder when that is not under it).
So a command run from a subfolder of a repository uses the same emulator, history, cache and lock as
one run from its root: running from a subfolder never splits the state. Paths are returned relative to
the working directory when they are under it, as messages show them.

Safe writes (ARCHITECTURE §8: ``.comfyops/`` may hold links planted by a commit). Every file ComfyOps
writes goes through this module (a test greps ``reconciler/`` for writes anywhere else). A link at the
target is refused with an error naming it (:class:`UnsafePath`): never written through, and never silently
replaced either (the fail-closed choice: a planted link is a sign of tampering someone should see).
:func:`write_text` and :func:`write_bytes` write a temporary file in the same folder and rename it over
the target, so a reader never sees half a file (a user's own file, ``user_file``, keeps its mode, or gets the
one the umask gives); :func:`append_text` appends with
``O_NOFOLLOW`` (the history); :func:`create_exclusive` creates a file only if nothing is there, link or
not (run outputs); :func:`open_lock` creates the lock exclusively, or opens the one there without
following a link. Each refuses a folder on the way that is a link, from ``inside`` (the workspace root,
when given) down, and a target that is not a regular file (a FIFO would block).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Final

from reconciler.readfile import kind_of, repository_root

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
VALIDATE_CACHE_DIR: Final[str] = "validate-cache"
_NOFOLLOW: Final[int] = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC: Final[int] = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK: Final[int] = getattr(os, "O_NONBLOCK", 0)
JOURNAL_FILE: Final[str] = "apply-journal.json"


class UnsafePath(OSError):
    """A write that would go through a link (or into a folder reached through one); refused.

    Its message is one line naming the path; the CLI prints it and exits 1."""


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


def validate_cache() -> Path:
    """Where ``validate`` saves its results for reuse (``.comfyops/validate-cache/``), as an absolute path.

    Beside the working copy's other state, found from the working directory like the history and cache."""
    return root() / DIR_NAME / VALIDATE_CACHE_DIR


def apply_lock(start: Path | None = None) -> Path:
    """The working copy's apply lock (one apply at a time), as an absolute path."""
    return root(start) / DIR_NAME / LOCK_FILE


def apply_journal(start: Path | None = None) -> Path:
    """Where apply records the steps it started (``.comfyops/apply-journal.json``), as an absolute path."""
    return root(start) / DIR_NAME / JOURNAL_FILE


def _refuse_target(path: Path) -> None:
    """Refuse a target that is a link (to anything, or to nothing) or is there but not a regular file."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UnsafePath(f"refusing to write {path}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(info.st_mode):
        raise UnsafePath(
            f"refusing to write {path}: it is a symbolic link (comfyops never writes through or replaces a "
            "link; remove it and re-run)"
        )
    if not stat.S_ISREG(info.st_mode):
        raise UnsafePath(f"refusing to write {path}: it is {kind_of(info.st_mode)}, not a regular file")


def _refuse_links(path: Path, inside: Path | None) -> None:
    """Refuse ``path`` when it is a link (or not a regular file), or a folder between ``inside`` and it is
    a link."""
    _refuse_target(path)
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


def write_bytes(path: Path, data: bytes, *, inside: Path | None = None, mode: int | None = None,
                user_file: bool = False) -> None:
    """Write ``data`` to ``path`` atomically: a temporary file in the same folder, then renamed over it.

    A link at ``path`` is refused (:class:`UnsafePath`), never written through nor replaced; folders are
    created as needed. ``inside`` (e.g. the workspace root) also refuses a folder on the way that is a link.
    ``mode`` sets the file's permissions (otherwise the temporary file's: readable by its owner only);
    ``user_file`` (a manifest ``fmt`` rewrites, a file ``import`` writes) gives the mode :func:`user_file_mode`
    gives instead. On any failure no temporary file is left and ``path`` is unchanged.
    """
    _refuse_links(path, inside)
    path.parent.mkdir(parents=True, exist_ok=True)
    _refuse_links(path, inside)
    if user_file:
        mode = user_file_mode(path)
    import tempfile  # only when writing: validate's saved results are read without it

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


def write_text(path: Path, text: str, *, inside: Path | None = None, user_file: bool = False) -> None:
    """:func:`write_bytes` of ``text`` as UTF-8 (``user_file``: the user's own file, see there)."""
    write_bytes(path, text.encode("utf-8"), inside=inside, user_file=user_file)


def user_file_mode(path: Path) -> int:
    """The mode a user's file written at ``path`` gets: an existing file keeps its own; a new one gets what the
    umask gives an ordinary new file (``0o666 & ~umask``: 0644 under the usual 022), not ``mkstemp``'s 0600."""
    try:
        return stat.S_IMODE(os.lstat(path).st_mode)
    except FileNotFoundError:
        return 0o666 & ~_current_umask()


def _current_umask() -> int:
    """The process's umask (read by setting and restoring it; comfyops writes files from one thread)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def remove(path: Path) -> bool:
    """Delete ``path`` if it exists (a link itself, never its target); whether there was one."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _open_nofollow(path: Path, flags: int) -> int:
    """``os.open`` that never follows a link at ``path`` and never blocks on a FIFO; refuses non-regular files."""
    try:
        fd = os.open(path, flags | _NOFOLLOW | _CLOEXEC | _NONBLOCK, 0o644)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK) or os.path.islink(path):
            raise UnsafePath(
                f"refusing to write {path}: it is a symbolic link (comfyops never writes through or replaces "
                "a link; remove it and re-run)"
            ) from None
        if exc.errno == errno.ENXIO:  # a FIFO nobody reads
            raise UnsafePath(f"refusing to write {path}: it is a FIFO (named pipe), not a regular file") from None
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise UnsafePath(f"refusing to write {path}: it is {kind_of(info.st_mode)}, not a regular file")
    return fd


def _write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` (``os.write`` may write less than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def append_text(path: Path, text: str, *, inside: Path | None = None, make_folders: bool = True) -> None:
    """Append ``text`` to ``path`` in one write, creating it (and, with ``make_folders``, its folders); never
    through a link (``O_NOFOLLOW``)."""
    _refuse_links(path, inside)
    if make_folders:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd = _open_nofollow(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        _write_all(fd, text.encode("utf-8"))
    finally:
        os.close(fd)


def create_exclusive(path: Path, data: str | bytes = "", *, inside: Path | None = None) -> bool:
    """Create ``path`` holding ``data`` only if nothing (not even a link) is there; False when something is."""
    try:
        _refuse_links(path, inside)
    except UnsafePath:
        if os.path.lexists(path):
            return False
        raise
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o644)
    except FileExistsError:
        return False
    try:
        _write_all(fd, data.encode("utf-8") if isinstance(data, str) else data)
    finally:
        os.close(fd)
    return True


def open_lock(path: Path, *, inside: Path | None = None) -> IO[str]:
    """The lock file at ``path``, open for reading and writing: created exclusively (``O_CREAT|O_EXCL|
    O_NOFOLLOW``) when nothing is there, else the regular file there opened without following a link (a
    stale lock taken over). A link or a non-regular file at ``path`` is :class:`UnsafePath`."""
    _refuse_links(path, inside)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = _open_nofollow(path, os.O_RDWR | os.O_CREAT | os.O_EXCL)
    except FileExistsError:
        fd = _open_nofollow(path, os.O_RDWR)
    return os.fdopen(fd, "r+", encoding="utf-8")
