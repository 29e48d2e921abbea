"""The local apply lock: refuses with the holder's name, waits with a timeout, takes over a stale lock."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from reconciler import workspace
from reconciler.errors import ReconcilerError
from reconciler.session import applylock

HOLD = textwrap.dedent("""
    import fcntl, json, os, sys, time
    f = open(sys.argv[1], "a+")
    fcntl.flock(f.fileno(), fcntl.LOCK_EX)
    f.write(json.dumps({"pid": os.getpid(), "host": "runner-7", "started": "2026-11-27T16:00:00Z"}))
    f.flush()
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
""")


def _hold(lock: Path, seconds: float) -> subprocess.Popen[str]:
    lock.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(lock), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_held_lock_is_refused_at_once_naming_the_holder(tmp_path: Path) -> None:
    holder = _hold(tmp_path / ".comfyops" / "apply.lock", 30)
    try:
        lock = tmp_path / ".comfyops" / "apply.lock"
        with pytest.raises(ReconcilerError) as refused, applylock.apply_lock(lock, timeout=0, note=print):
            pass
    finally:
        holder.kill()
        holder.wait()
    assert refused.value.summary == (
        f"another apply is running in this working copy: pid {holder.pid} on runner-7, started "
        f"2026-11-27T16:00:00Z (lock {tmp_path / '.comfyops' / 'apply.lock'})"
    )


def test_lock_timeout_waits_for_the_holder_to_finish(tmp_path: Path) -> None:
    holder = _hold(tmp_path / ".comfyops" / "apply.lock", 0.6)
    notes: list[str] = []
    start = time.monotonic()
    with applylock.apply_lock(tmp_path / ".comfyops" / "apply.lock", timeout=30, note=notes.append):
        waited = time.monotonic() - start
        mine = json.loads((tmp_path / ".comfyops" / "apply.lock").read_text())
    holder.wait()
    assert 0.3 < waited < 10
    assert notes[0] == (
        f"waiting for the apply lock held by pid {holder.pid} on runner-7, started 2026-11-27T16:00:00Z ..."
    )
    assert mine["command"] == "apply" and mine["pid"] != holder.pid
    assert (tmp_path / ".comfyops" / "apply.lock").read_text() == ""  # released


def test_a_stale_lock_left_by_a_killed_apply_is_taken_over(tmp_path: Path) -> None:
    holder = _hold(tmp_path / ".comfyops" / "apply.lock", 30)
    holder.kill()  # killed: its lock file still names it, but the system released the lock
    holder.wait()
    notes: list[str] = []
    with applylock.apply_lock(tmp_path / ".comfyops" / "apply.lock", timeout=0, note=notes.append):
        pass
    assert notes == [
        f"taking over a stale apply lock left by pid {holder.pid} on runner-7, started 2026-11-27T16:00:00Z "
        "(that process is gone)"
    ]


@pytest.mark.parametrize(
    ("text", "seconds"), [("0", 0), ("30", 30), ("30s", 30), ("5m", 300), ("1h", 3600), ("500ms", 0.5), (" 2.5s ", 2.5)]
)
def test_durations(text: str, seconds: float) -> None:
    assert applylock.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "-1s", "5 minutes", "1d", "s"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        applylock.parse_duration(text)


def test_the_lock_lives_at_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "deploy" / "prod").mkdir(parents=True)
    assert workspace.apply_lock(tmp_path / "deploy" / "prod") == tmp_path.resolve() / ".comfyops" / "apply.lock"
