"""A Rego worker started ahead of its request answers as a fresh one does, and one left unused is stopped."""

from __future__ import annotations

import subprocess
import sys

from reconciler.policy import rego
from reconciler.policy.sources import Module

SOURCE = 'package main\nimport rego.v1\n\ndeny contains msg if {\n  input.n > 1\n  msg := "too many"\n}\n'


def test_a_prestarted_worker_answers_the_next_run_as_a_fresh_one_does() -> None:
    modules = [Module("p.rego", SOURCE)]
    fresh = rego.run(modules, {"n": 2}, ["data.main.deny"])
    rego.prestart()
    started = list(rego._started)
    early = rego.run(modules, {"n": 2}, ["data.main.deny"])
    assert early == fresh and early[0][0].value == ["too many"]
    assert started and started[0].returncode == 0 and rego._started == []  # that worker answered


def test_a_worker_prestarted_and_never_asked_is_stopped_when_the_command_exits() -> None:
    probe = "from reconciler.policy import rego\nrego.prestart()\nprint(rego._started[0].pid)\n"
    done = subprocess.run([sys.executable, "-X", "dev", "-c", probe], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0 and done.stderr == "", done.stderr  # no "subprocess still running" warning
    pid = int(done.stdout)
    gone = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True, check=False)
    assert gone.stdout.strip() == "", f"worker {pid} still there: {gone.stdout}"
