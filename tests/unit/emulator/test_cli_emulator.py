"""``comfyops emulator serve`` (a real subprocess on a free port) and ``comfyops emulator reset``."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner

from reconciler.emulator.state import EmulatorState

AUTH = {"Authorization": "Bearer test-token"}
GRAPH: dict[str, Any] = {"9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0]}}}
CREATE = {"name": "t2i", "workflow_id": "wf-1", "workflow_version": "v1"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_cli_serve_and_reset(tmp_path: Path) -> None:
    workflow = tmp_path / "workflow_api.json"
    workflow.write_text(json.dumps(GRAPH))
    state, port = tmp_path / "state", _free_port()
    # The group is run directly (as ``comfyops emulator``) so this test does not depend on every other
    # command module importing cleanly.
    cmd = [
        sys.executable,
        "-c",
        "from reconciler.cli.emulator import command; command(prog_name='comfyops emulator')",
        "serve",
        "--port",
        str(port),
        "--state",
        str(state),
        "--register-workflow",
        f"wf-1:v1:{workflow}",
        "--speed",
        "10",
        "--noise",
        "0.02",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, listed = time.monotonic() + 10, None
        while listed is None and time.monotonic() < deadline:
            try:
                listed = httpx.get(f"http://127.0.0.1:{port}/prod/v2/deployments", headers=AUTH, timeout=1)
            except httpx.TransportError:
                time.sleep(0.05)
        assert listed is not None and listed.status_code == 200 and listed.json() == []
        created = httpx.post(f"http://127.0.0.1:{port}/prod/v2/deployments", json=CREATE, headers=AUTH)
        assert created.status_code == 200
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}" in output and "RUNCOMFY_API_TOKEN=anything" in output
    assert "registered workflow wf-1 version v1" in output
    assert "noise 0.02)" in output and EmulatorState(state).config()["noise"] == 0.02

    from reconciler.cli.emulator import command

    runner = CliRunner()
    result = runner.invoke(command, ["reset", "--state", str(state)])
    assert result.exit_code == 0, result.output
    assert "cleared 1 deployment(s), 1 workflow version(s) and 0 request(s)" in result.output
    assert EmulatorState(state).counts() == {"deployments": 0, "workflow_versions": 0, "requests": 0}
    assert "nothing to clear" in runner.invoke(command, ["reset", "--state", str(tmp_path / "x")]).output


def test_cli_serve_rejects_bad_registrations(tmp_path: Path) -> None:
    from reconciler.cli.emulator import command

    runner = CliRunner()
    (tmp_path / "ui.json").write_text(json.dumps({"nodes": [], "links": []}))
    for spec in ("no-colons", f"wf:v1:{tmp_path / 'missing.json'}", f"wf:v1:{tmp_path / 'ui.json'}"):
        result = runner.invoke(command, ["serve", "--register-workflow", spec])
        assert result.exit_code != 0 and "--register-workflow" in result.output


def test_cli_serve_refuses_noise_out_of_range(tmp_path: Path) -> None:
    from reconciler.cli.emulator import command

    result = CliRunner().invoke(command, ["serve", "--state", str(tmp_path), "--noise", "2"])
    assert result.exit_code == 2 and "--noise" in result.output and "0<=x<=1" in result.output
