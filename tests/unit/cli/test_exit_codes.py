"""The exit-code contract and one-line errors of the command line (ARCHITECTURE §5)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_unexpected_exception_exits_3_with_one_line_and_no_traceback(run_cli, examples, monkeypatch):
    def boom(*_args, **_kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr("reconciler.cli.manifests.read_manifests", boom)
    result = run_cli("validate", "-f", str(examples))
    assert result.code == 3
    assert result.err.splitlines() == [
        "error: unexpected error: RuntimeError: kaboom",
        "  this is a bug in comfyops; re-run with -v for the traceback and report it",
    ]


def test_verbose_shows_the_traceback_of_a_bug(run_cli, examples, monkeypatch):
    def boom(*_args, **_kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr("reconciler.cli.manifests.read_manifests", boom)
    result = run_cli("-v", "validate", "-f", str(examples))
    assert result.code == 3 and "Traceback" in result.err


def test_missing_token_is_one_line_naming_the_variable(run_cli, examples):
    result = run_cli("plan", "-f", str(examples), "--env", "staging")
    assert result.code == 1
    assert result.err.splitlines()[0] == "error: RUNCOMFY_API_TOKEN is not set"
    assert "--emulator" in result.err


def test_ctrl_c_exits_130(run_cli, examples, monkeypatch):
    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("reconciler.cli.manifests.read_manifests", interrupted)
    result = run_cli("validate", "-f", str(examples))
    assert result.code == 130 and result.err.strip() == "error: interrupted"


def test_usage_error_exits_1_not_2(run_cli):
    # 2 means "changes present" for plan --detailed-exitcode, so click's usage errors must not use it
    result = run_cli("plan", "--format", "yaml")
    assert result.code == 1
    assert "Invalid value for '--format'" in result.err


def test_python_dash_m_reconciler_works():
    result = subprocess.run([sys.executable, "-m", "reconciler", "--version"], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0
    assert result.stdout.startswith("comfyops, version ")


@pytest.mark.parametrize("flag", ["--no-color", None])
def test_plan_text_has_no_ansi_without_a_tty(run_cli, examples, flag, tmp_path, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    args = ["--emulator", *([flag] if flag else []), "plan", "-f", str(examples), "--env", "prod"]
    result = run_cli(*args)
    assert result.code == 0, result
    assert "\x1b[" not in result.out
