"""Ctrl-C during ``comfyops smoke``, as a user presses it: announced at once, cancels sent, exit 130.

A slow ``emulator serve`` (requests run for minutes) and a real ``comfyops smoke`` process: once the
request is running, SIGINT; the process says ``Interrupt received: cancelling 1 request...``, cancels
the request (the server shows it cancelled), submits nothing more, and exits 130 with ``interrupted``.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path

from e2e.test_emulator_serve import WF, WORKFLOW, _env, _free_port, serve, start_against
from reconciler.emulator.state import EmulatorState

MANIFESTS = f"""apiVersion: comfyops/v1
kind: Settings
spec:
  rate_limit: {{requests_per_second: 50, burst: 50}}
---
apiVersion: comfyops/v1
kind: Deployment
metadata: {{name: slow}}
spec:
  workflow_id: {WF}
  workflow_version: v1
  smoke: {{timeout_seconds: 3600}}
---
apiVersion: comfyops/v1
kind: Deployment
metadata: {{name: slow-2}}
spec:
  workflow_id: {WF}
  workflow_version: v1
  smoke: {{timeout_seconds: 3600}}
"""


def test_ctrl_c_during_smoke_cancels_and_exits_130(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "m.yaml").write_text(MANIFESTS)
    args = [
        "--port",
        str(_free_port()),
        "--state",
        str(tmp_path / "state"),
        "--no-rate-limit",
        "--speed",
        "0.01",
        "--register-workflow",
        f"{WF}:v1:{WORKFLOW}",
    ]
    with serve(*args, cwd=tmp_path, env=_env()) as served:
        url = served.wait_ready()
        applied = start_against(url, repo, "apply", "-f", ".", "--auto-approve")
        assert applied.wait(timeout=120) == 0, applied.communicate()
        smoke = start_against(url, repo, "smoke", "-f", ".", "--concurrency", "1")
        assert smoke.stderr is not None
        lines: list[str] = []
        running = threading.Event()

        def read() -> None:
            assert smoke.stderr is not None
            for line in smoke.stderr:
                lines.append(line.rstrip("\n"))
                if ": running" in line or ": queued" in line:
                    running.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        assert running.wait(60), lines
        smoke.send_signal(signal.SIGINT)
        out = smoke.stdout.read() if smoke.stdout is not None else ""
        code = smoke.wait(timeout=60)
        reader.join(timeout=10)
        assert code == 130, (out, lines)
        assert "Interrupt received: cancelling 1 request... (Ctrl-C again to exit now)" in lines
        assert lines[-1] == "error: interrupted"
        assert not any("Traceback" in line for line in lines)
    with EmulatorState(tmp_path / "state").read() as data:
        submitted = list(data["requests"].values())
    assert len(submitted) == 1, submitted  # slow-2 was never submitted
    assert submitted[0].get("cancelled_at") is not None
