"""Test-wide tripwires and helpers.

- No test reaches the internet: any socket connection to a non-loopback address fails loudly.
- No test writes emulator state or caches into the working tree: each test gets its own
  ``COMFYOPS_EMULATOR_STATE`` and ``COMFYOPS_CACHE_DIR`` under ``tmp_path``, and no real token.
- The whole suite (``python -m pytest``, no paths: the README's command) runs on every core with
  pytest-xdist, one test file per worker; naming files or folders runs them in this one process.
- Hypothesis properties are bounded by their example counts, never by a wall clock: on a loaded
  2-core machine a 200 ms per-example deadline or the "too slow" health check fails tests that are right.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("steady", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("steady")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Run the whole suite in parallel (``-n auto --dist loadfile``) when no path was named and ``-n`` was not
    given: most of its time is spent waiting (emulator clocks, child processes), so workers overlap it."""
    if os.environ.get("PYTEST_XDIST_WORKER") or hasattr(config, "workerinput"):
        return  # a worker of such a run: it runs its share, it never starts workers of its own
    if config.args_source is not pytest.Config.ArgsSource.TESTPATHS or not config.pluginmanager.hasplugin("xdist"):
        return
    if config.getoption("numprocesses", None) is not None or config.getoption("collectonly"):
        return
    config.option.numprocesses = "auto"
    config.option.dist = "loadfile"


class YouTriedToReachTheNetwork(RuntimeError):
    """Raised when a test opens a connection to anything but loopback."""


def _is_loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise YouTriedToReachTheNetwork(f"test tried to connect to {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    yield


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """In-process CLI runs configure the ``reconciler`` logger; put it back after each test."""
    import logging

    ours = logging.getLogger("reconciler")
    saved = (ours.level, list(ours.handlers), ours.propagate)
    yield
    ours.setLevel(saved[0])
    ours.handlers[:] = saved[1]
    ours.propagate = saved[2]


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COMFYOPS_EMULATOR_STATE", str(tmp_path / ".emulator-state"))
    monkeypatch.setenv("COMFYOPS_CACHE_DIR", str(tmp_path / ".cache"))
    monkeypatch.setenv("COMFYOPS_HISTORY", str(tmp_path / ".history.jsonl"))  # request history, too
    monkeypatch.delenv("RUNCOMFY_API_TOKEN", raising=False)
    monkeypatch.delenv("RUNCOMFY_API_URL", raising=False)
    monkeypatch.delenv("COMFYOPS_EMULATOR", raising=False)
    monkeypatch.delenv("COMFYOPS_ENV", raising=False)
    monkeypatch.delenv("COMFYOPS_EMULATOR_TOKEN", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


class CliResult:
    """What one ``comfyops`` invocation printed and how it exited."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"CliResult(code={self.code}, out={self.out!r}, err={self.err!r})"


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run ``comfyops ARGS`` in process and return its exit code, stdout and stderr."""
    from reconciler.cli import main

    def run(*args: str, cwd: Path | None = None, stdin: str | None = None) -> CliResult:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        if stdin is not None:
            import io

            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def write_files(tmp_path: Path) -> Any:
    """Write ``{relative path: text}`` under a fresh folder and return the folder."""
    import textwrap

    def write(files: dict[str, str], root: Path | None = None) -> Path:
        base = root or tmp_path / "repo"
        for rel, text in files.items():
            target = base / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return base

    return write


EXAMPLES = Path(__file__).parents[1] / "examples"


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    """A copy of the repository's ``examples/`` under ``tmp_path`` (tests never read the working tree's
    copy, which the README's walk-through edits)."""
    import shutil

    copy = tmp_path / "examples"
    shutil.copytree(EXAMPLES, copy)
    return copy
