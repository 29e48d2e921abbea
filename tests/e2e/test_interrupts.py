"""Ctrl-C at any moment, start-up and imports included: ``interrupted``, exit 130, never a traceback;
a second Ctrl-C exits at once, saying what may still be running."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from e2e.test_emulator_serve import comfyops

DELAYS = (0.0, 0.01, 0.03, 0.06, 0.1, 0.15, 0.2, 0.3, 0.45, 0.7, 1.0)


@pytest.mark.parametrize("delay", DELAYS)
def test_ctrl_c_at_any_moment_prints_interrupted_and_exits_130(delay: float, tmp_path: Path, examples: Path) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [*comfyops(), "--emulator", "plan", "-f", str(examples), "--env", "staging"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    if err.startswith("Fatal Python error: init_"):
        return  # CPython's own start-up, before the first line of comfyops runs: out of any program's reach
    if _only_the_wrapper(err):
        return  # pip's generated console script, still importing reconciler.entry: no comfyops code has run
    assert "Traceback" not in err and "Exception ignored" not in err, err
    # finished before the signal (0/2), interrupted (130), or killed before Python set up its handler
    assert proc.returncode in (0, 2, 130, -signal.SIGINT), (proc.returncode, err)
    if proc.returncode == 130:
        assert err.rstrip().splitlines()[-1] == "error: interrupted", err


def _only_the_wrapper(err: str) -> bool:
    """A traceback whose every frame is the console script's own (``from reconciler.entry import main``, as pip
    writes it): the Ctrl-C landed before the first line of comfyops ran, so no handler of ours could exist."""
    frames = re.findall(r'^  File "([^"]+)", line \d+, in (\S+)$', err, flags=re.M)
    return (
        err.startswith("Traceback") and err.rstrip().endswith("KeyboardInterrupt") and bool(frames)
        and all(not path.endswith(".py") and name == "<module>" for path, name in frames)
    )


SLOW_CLEANUP = textwrap.dedent("""
    import contextlib, sys, time
    from reconciler import interrupts
    interrupts.install()
    stack = contextlib.ExitStack()
    for item in sys.argv[1:] or ["t2i request 4f1c"]:
        stack.enter_context(interrupts.running(item))
    with stack:
        try:
            print("ready", flush=True)
            time.sleep(30)
        except KeyboardInterrupt:
            print("cleaning up", flush=True)
            time.sleep(30)  # a slow clean-up, like cancels behind a rate limit
    sys.exit(0)
""")


def _second_ctrl_c(*running: str) -> tuple[int, str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_CLEANUP, *running], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGINT)
    assert proc.stdout.readline().strip() == "cleaning up"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=25)  # the clean-up would take 30 s: ending at all shows it did not wait
    return proc.returncode, err


def test_a_second_ctrl_c_names_every_request_that_may_still_run_in_full() -> None:
    """Never cut to "and 4 more": each one is a paid job the user has to cancel by hand."""
    items = [f"slow-{i} request r{i}: cancel it with `comfyops --emulator request cancel d{i} r{i}`" for i in range(9)]
    code, err = _second_ctrl_c(*items)
    assert code == 130
    assert err.splitlines() == ["error: interrupted again: exiting now; 9 may still be running:",
                                *(f"  {item}" for item in items)]


def test_a_second_ctrl_c_exits_at_once_naming_what_may_still_run() -> None:
    code, err = _second_ctrl_c()
    assert code == 130
    assert err == "error: interrupted again: exiting now; may still be running: t2i request 4f1c\n"


def test_ctrl_c_during_apply_reports_then_says_interrupted(run_cli, examples: Path, monkeypatch) -> None:
    tmp_path = examples.parent
    from reconciler.runcomfy.client import RunComfyClient

    real_create = RunComfyClient.create_deployment
    made = [0]

    def create_then_ctrl_c(self: RunComfyClient, body: object) -> object:
        made[0] += 1
        if made[0] == 2:
            raise KeyboardInterrupt
        return real_create(self, body)  # type: ignore[arg-type]

    monkeypatch.setattr(RunComfyClient, "create_deployment", create_then_ctrl_c)
    result = run_cli("--emulator", "apply", "-f", "examples", "--env", "staging", "--auto-approve", cwd=tmp_path)
    assert result.code == 130
    assert "Apply was interrupted" in result.out
    assert result.err.splitlines()[-1] == "error: interrupted"
    assert "Traceback" not in result.err
