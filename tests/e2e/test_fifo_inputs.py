"""A FIFO (or any non-regular file) where comfyops reads a file of its own is one error line, never a hang.

A named pipe blocks its reader until someone writes to it: a saved plan, a live snapshot, a report body,
the request history, the emulator's state or a pause file that is a FIFO would stop the command for
good. Every such read goes through ``reconciler.readfile`` (regular files only, opened without
blocking, size-bounded). Each case runs the real command in a child process against a FIFO; a
hang is the child's timeout, far above what the command needs.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.test_emulator_serve import comfyops

EXAMPLES = Path(__file__).parents[2] / "examples"
NOT_REGULAR = "not a regular file: it is a FIFO (named pipe)"


def _run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*comfyops(), *args], cwd=cwd, env={**os.environ, "NO_COLOR": "1", **(env or {})},
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".git").mkdir()  # .comfyops/ stays in this folder
    shutil.copytree(EXAMPLES, root / "examples")
    return root


@pytest.fixture
def closed_url() -> Iterator[str]:
    """A loopback URL on a port the OS gave us and nobody listens on: a call there is refused at once."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{held.getsockname()[1]}"


def _fifo(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    return path


def _one_error_line(result: subprocess.CompletedProcess[str], path: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if NOT_REGULAR in line]
    assert len(lines) == 1 and path in lines[0], result.stderr


def test_a_saved_plan_that_is_a_fifo(repo: Path) -> None:
    _fifo(repo / "plan.json")
    _one_error_line(_run(repo, "show", "plan.json"), "plan.json")
    _one_error_line(_run(repo, "--emulator", "apply", "plan.json"), "plan.json")


def test_a_live_snapshot_that_is_a_fifo(repo: Path) -> None:
    _fifo(repo / "snapshot.json")
    result = _run(repo, "plan", "-f", "examples", "--env", "staging", "--live-snapshot", "snapshot.json")
    _one_error_line(result, "snapshot.json")


def test_a_report_body_that_is_a_fifo(repo: Path, closed_url: str) -> None:
    _fifo(repo / "plan.md")
    result = _run(repo, "github", "comment", "--body-file", "plan.md", "--pr", "1", "--repo", "o/r",
                  env={"GITHUB_TOKEN": "x", "GITHUB_API_URL": closed_url})
    _one_error_line(result, "plan.md")


def test_a_request_history_that_is_a_fifo(repo: Path) -> None:
    history = _fifo(repo / "history.jsonl")
    _one_error_line(_run(repo, "requests", env={"COMFYOPS_HISTORY": str(history)}), "history.jsonl")


def test_an_emulator_state_that_is_a_fifo(repo: Path) -> None:
    _fifo(repo / "emu" / "state.json")
    result = _run(repo, "--emulator", "plan", "-f", "examples", "--env", "staging",
                  env={"COMFYOPS_EMULATOR_STATE": str(repo / "emu")})
    _one_error_line(result, "state.json")


def test_a_pause_file_that_is_a_fifo(repo: Path) -> None:
    _fifo(repo / "examples" / "comfyops-pause.json")
    result = _run(repo, "--emulator", "reconcile", "-f", "examples", "--env", "staging")
    _one_error_line(result, "comfyops-pause.json")


def test_a_workflow_to_register_that_is_a_fifo(repo: Path) -> None:
    _fifo(repo / "wf.json")
    result = _run(repo, "emulator", "serve", "--port", "0", "--register-workflow", "wf-1:v1:wf.json")
    _one_error_line(result, "wf.json")


def test_a_schema_file_that_is_a_fifo_is_stale(repo: Path) -> None:
    written = _run(repo, "schema", "--out", "schemas")
    assert written.returncode == 0, written.stderr
    victim = sorted((repo / "schemas").iterdir())[0]
    victim.unlink()
    _fifo(victim)
    result = _run(repo, "schema", "--out", "schemas", "--check")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"stale: {victim.name}" in result.stderr
