"""Watching one full run of ``validate``: what it reads, what it prints, and whether it can be trusted.

Effectful (an audit hook for the whole process, ``os.stat``/``os.lstat``/``os.readlink`` and
``os.environ`` wrapped, ``sys.stdout``/``sys.stderr`` teed, all for the run only). Python's audit events
name every file opened and every folder listed, whoever does it; the wrappers add the paths whose
existence or kind is checked, where the links followed point, and the environment variables looked up.
(Audit events carry no ``dir_fd``; comfyops opens nothing relative to a folder descriptor.) The import
system's own reads (modules, ``.pyc`` files, installed distributions' metadata) are not inputs: the key's
code fingerprint covers them.

Anything the recorder cannot attribute to a path, or that a validation must not do (a write, a child
process other than the policy worker, a network connection, reading stdin, changing directory or the
environment, iterating over the whole environment), is a doubt: the run is then not saved.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from reconciler.resultcache import inputs
from reconciler.resultcache.key import value_digest

POLICY_WORKER = "reconciler.policy.worker"
"""The one child process a validation starts (Rego evaluation); its input is sent by this process."""

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_NOT_INPUTS = frozenset({os.devnull})
_DOUBTFUL_EVENTS = frozenset({
    "os.chdir", "os.fchdir", "os.rename", "os.remove", "os.rmdir", "os.mkdir", "os.symlink", "os.link",
    "os.truncate", "os.chmod", "os.system", "os.posix_spawn", "os.spawn", "os.exec", "os.fork",
    "os.forkpty", "os.putenv", "os.unsetenv", "socket.connect", "socket.bind", "shutil.copyfile",
    "shutil.rmtree", "shutil.move",
})
_WATCHED = frozenset({"open", "os.listdir", "os.scandir", "subprocess.Popen", *_DOUBTFUL_EVENTS})
_CODE_SUFFIXES = (".py", ".pyc", ".pyi", ".so", ".pth")

_METADATA = os.path.join("importlib", "metadata")
_PLATFORM_MODULE = os.path.join(os.path.dirname(os.__file__), "platform.py")

_current: list[Recorder] = []
_hooked: list[bool] = []


class Recorder:
    """The inputs, output and doubts of one run, from :meth:`start` to :meth:`stop`."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[int, int, int] | None] = {}
        self.folders: dict[str, str] = {}
        self.paths: dict[str, str] = {}
        self.env: dict[str, str] = {}
        self.output: list[list[Any]] = []
        self.doubts: list[str] = []
        self.started_policy_worker = False
        self._busy = False
        self._roots = _installed_roots()
        self._saved: tuple[Any, ...] = ()

    def start(self) -> None:
        """Begin watching: from now on every read, lookup and line printed is noted."""
        if not _hooked:
            sys.addaudithook(_hook)
            _hooked.append(True)
        self._saved = (os.stat, os.lstat, os.readlink, os.environ, sys.stdout, sys.stderr, sys.stdin)
        real_stat, real_lstat = os.stat, os.lstat
        os.readlink = self._readlink_wrapper(os.readlink)
        os.stat = self._stat_wrapper(real_stat, follow=True)
        os.lstat = self._stat_wrapper(real_lstat, follow=False)
        os.environ = _RecordingEnviron(os.environ, self)  # noqa: B003 - same variables, read through a recorder
        sys.stdout = _Tee(sys.stdout, 1, self)
        sys.stderr = _Tee(sys.stderr, 2, self)
        sys.stdin = _Doubted(sys.stdin, self)
        _current.append(self)

    def stop(self) -> None:
        """Stop watching and put back what :meth:`start` replaced."""
        if self in _current:
            _current.remove(self)
        if self._saved:
            os.stat, os.lstat, os.readlink, os.environ, sys.stdout, sys.stderr, sys.stdin = self._saved
            self._saved = ()

    def doubt(self, why: str) -> None:
        """Note that this run cannot be saved, and why."""
        self.doubts.append(why)

    def inputs(self) -> dict[str, Any]:
        """Every input's state now (see :mod:`.inputs`); :class:`inputs.Unreadable` when one cannot be told
        or a file changed while the run read it."""
        files: dict[str, list[object]] = {}
        for path, seen in self.files.items():
            state = inputs.file_state(path)
            if seen != _identity(path):
                raise inputs.Unreadable(f"{path} changed during the run")
            files[path] = state
        folders = {}
        for path, listing in self.folders.items():
            folders[path] = inputs.folder_state(path)
            if folders[path] != listing:
                raise inputs.Unreadable(f"{path} changed during the run")
        paths = {}
        for spec, seen_kind in self.paths.items():
            now = inputs.spec_state(spec)
            if now != seen_kind:
                raise inputs.Unreadable(f"{spec[2:]} changed during the run")
            paths[spec] = now
        return {"files": files, "folders": folders, "paths": paths, "env": dict(self.env)}

    # -- what the hook and wrappers call --------------------------------------------------------------

    def on_event(self, event: str, args: tuple[Any, ...]) -> None:
        """One audit event of the run."""
        if event == "open":
            self._on_open(args[0], args[2])
        elif event in ("os.listdir", "os.scandir"):
            self._on_listing(args[0])
        elif event == "subprocess.Popen":
            command = list(args[1]) if isinstance(args[1], (list, tuple)) else [args[1]]
            if command == [sys.executable, "-m", POLICY_WORKER]:
                self.started_policy_worker = True
            elif not _by_platform():
                self.doubt(f"started {command!r}")
        elif event in _DOUBTFUL_EVENTS and not _by_import_system():
            self.doubt(f"{event} {args!r}")

    def _on_open(self, path: Any, flags: Any) -> None:
        if isinstance(path, int):
            return  # a descriptor already open (a pipe, or a file whose open was an event of its own)
        if not isinstance(path, (str, bytes, os.PathLike)):
            if not _by_import_system():
                self.doubt(f"opened {path!r}")
            return
        name = _absolute(path)
        if name in _NOT_INPUTS or self._is_code(name) or _by_import_system():
            return  # installed code (most opens, told by the path alone), or the import system's own reads
        if isinstance(flags, int) and flags & _WRITE_FLAGS:
            self.doubt(f"wrote {name}")
            return
        if name not in self.files:
            self.files[name] = _identity(name)

    def _on_listing(self, path: Any) -> None:
        if _by_import_system():
            return
        if path is None:
            path = "."
        if isinstance(path, int) or not isinstance(path, (str, bytes, os.PathLike)):
            self.doubt(f"listed {path!r}")
            return
        name = _absolute(path)
        if name not in self.folders:
            self.folders[name] = inputs.folder_state(name)

    def _is_code(self, name: str) -> bool:
        """Whether ``name`` is installed code (covered by the key's fingerprint), not an input."""
        if not name.endswith(_CODE_SUFFIXES) and ".dist-info" not in name and ".egg-info" not in name:
            return False
        return any(name.startswith(root) for root in self._roots)

    def _stat_wrapper(self, real: Any, *, follow: bool) -> Any:
        tag = "S:" if follow else "L:"

        def recorded(path: Any, *args: Any, **kwargs: Any) -> Any:
            if self._busy or isinstance(path, int) or args or kwargs.get("dir_fd") is not None:
                return real(path, *args, **kwargs)
            try:
                result = real(path, *args, **kwargs)
            except (FileNotFoundError, NotADirectoryError):
                self._note_path(tag, path, "missing")
                raise
            except OSError:
                self.doubt(f"could not stat {path!r}")
                raise
            followed = kwargs.get("follow_symlinks", True) and follow
            self._note_path("S:" if followed else "L:", path, inputs.kind(result.st_mode))
            return result

        return recorded

    def _readlink_wrapper(self, real: Any) -> Any:
        def recorded(path: Any, *args: Any, **kwargs: Any) -> Any:
            if self._busy or args or kwargs:
                return real(path, *args, **kwargs)
            try:
                target = real(path)
            except (FileNotFoundError, NotADirectoryError):
                self._note_path("R:", path, "missing")
                raise
            except OSError as exc:  # EINVAL: not a link (realpath asks every part of a path)
                self._note_path("R:", path, f"error {exc.errno}")
                raise
            self._note_path("R:", path, "-> " + os.fsdecode(target))
            return target

        return recorded

    def _note_path(self, tag: str, path: Any, kind: str) -> None:
        try:
            name = _absolute(path)
        except (TypeError, ValueError):
            self.doubt(f"checked {path!r}")
            return
        if not self._is_code(name) and not name.startswith(self._roots):
            self.paths.setdefault(tag + name, kind)

    def note_env(self, name: str, value: str | None) -> None:
        """One environment variable looked up, and its value (recorded as a digest)."""
        self.env.setdefault(name, value_digest(name, value))

    def note_output(self, fd: int, text: str) -> None:
        """Text printed to stdout (1) or stderr (2)."""
        if self.output and self.output[-1][0] == fd:
            self.output[-1][1] += text
        else:
            self.output.append([fd, text])


def _hook(event: str, args: tuple[Any, ...]) -> None:
    """The process's audit hook: hands the events of a watched run to its recorder, never raises.

    Called for every audit event of the process (thousands per run), so its first test is one set lookup."""
    if event not in _WATCHED or not _current:
        return
    recorder = _current[-1]
    if recorder._busy:
        return
    recorder._busy = True
    try:
        recorder.on_event(event, args)
    except Exception as exc:  # a hook must not raise; a failure is a doubt
        recorder.doubt(f"{event}: {exc}")
    finally:
        recorder._busy = False


def _by_import_system() -> bool:
    """Whether the current event comes from the import system (modules, or distributions' metadata)."""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(("<frozen importlib", "<frozen zipimport")) or _METADATA in name:
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def _by_platform() -> bool:
    """Whether the current call comes from the standard library's ``platform`` module, which runs
    ``file`` on the interpreter (with a copy of the environment) to tell its architecture (croniter asks
    when imported): about installed code, not an input."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename == _PLATFORM_MODULE:
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def _absolute(path: Any) -> str:
    name = os.fsdecode(os.fspath(path))
    return os.path.abspath(name)


def _identity(path: str) -> tuple[int, int, int] | None:
    """What tells that a file changed while the run read it: size, modification time and inode."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns, info.st_ino)


def _installed_roots() -> tuple[str, ...]:
    """Folders of installed code: the interpreter's prefixes, ``sys.path``'s distribution folders, and
    the ``reconciler`` package."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, package}
    roots.update(entry for entry in sys.path if entry.endswith(("site-packages", "dist-packages")))
    return tuple(os.path.join(os.path.abspath(root), "") for root in roots)


class _RecordingEnviron(os._Environ[str]):
    """``os.environ`` that tells the recorder each variable looked up; reading it whole is a doubt."""

    def __init__(self, real: os._Environ[str], recorder: Recorder) -> None:
        super().__init__(real._data, real.encodekey, real.decodekey,  # type: ignore[attr-defined]
                         real.encodevalue, real.decodevalue)
        self._recorder = recorder

    def __getitem__(self, key: str) -> str:
        try:
            value = super().__getitem__(key)
        except KeyError:
            self._recorder.note_env(key, None)
            raise
        self._recorder.note_env(key, value)
        return value

    def __iter__(self) -> Iterator[str]:
        if not _by_platform():
            self._recorder.doubt("read the whole environment")
        return super().__iter__()

    def __setitem__(self, key: str, value: str) -> None:
        self._recorder.doubt(f"set {key} in the environment")
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self._recorder.doubt(f"removed {key} from the environment")
        super().__delitem__(key)


class _Tee:
    """A text stream that notes what is written to it, then writes it on; any other use is a doubt."""

    def __init__(self, stream: TextIO, fd: int, recorder: Recorder) -> None:
        self._stream = stream
        self._fd = fd
        self._recorder = recorder

    def write(self, text: str) -> int:
        written = self._stream.write(text)
        if isinstance(text, str):
            self._recorder.note_output(self._fd, text)
        else:
            self._recorder.doubt("wrote bytes to a text stream")
        return written

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:
        return self._stream.encoding

    @property
    def errors(self) -> str | None:
        return self._stream.errors

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._stream, name)  # what the stream lacks is an AttributeError, not a use
        self._recorder.doubt(f"used {name} of a standard stream")
        return value


class _Doubted:
    """A stream the run must not use (stdin): any use is a doubt, and then works as usual."""

    def __init__(self, stream: Any, recorder: Recorder) -> None:
        self._stream = stream
        self._recorder = recorder

    def __getattr__(self, name: str) -> Any:
        self._recorder.doubt(f"used {name} of stdin")
        return getattr(self._stream, name)
