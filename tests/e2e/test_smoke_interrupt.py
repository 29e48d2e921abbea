"""Ctrl-C during ``comfyops smoke``, as a user presses it: announced at once, cancels sent, exit 130.

A slow ``emulator serve`` (requests run for minutes) and a real ``comfyops smoke`` process: once the
request is running, SIGINT; the process says ``Interrupt received: cancelling 1 request...``, cancels
the request (the server shows it cancelled), submits nothing more, and exits 130 with ``interrupted``.
"""

from __future__ import annotations

import signal
import threading
import time
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


TESTS = 10


def _many(count: int) -> str:
    settings = "apiVersion: comfyops/v1\nkind: Settings\nspec:\n  rate_limit: {requests_per_second: 1, burst: 5}\n"
    return settings + "".join(
        f"---\napiVersion: comfyops/v1\nkind: Deployment\nmetadata: {{name: slow-{i}}}\n"
        f"spec: {{workflow_id: {WF}, workflow_version: v1, smoke: {{timeout_seconds: 3600}}}}\n"
        for i in range(count)
    )


def _requests(state: Path) -> list[dict[str, object]]:
    with EmulatorState(state).read() as data:
        return list(data["requests"].values())


def test_ctrl_c_at_one_request_per_second_with_no_burst_cancels_every_request(tmp_path: Path) -> None:
    """The server allows 1 request/s and no burst at all (the client's bucket believes 5): after Ctrl-C every
    submitted request is cancelled, the cancels pacing themselves on Retry-After instead of giving up after
    5 tries, or it is printed in full with the command that cancels it."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "m.yaml").write_text(_many(TESTS))
    state = tmp_path / "state"
    EmulatorState(state).configure(rate_limit_enabled=False)
    args = ["--port", str(_free_port()), "--state", str(state), "--speed", "0.01",
            "--register-workflow", f"{WF}:v1:{WORKFLOW}"]
    with serve(*args, cwd=tmp_path, env=_env()) as served:
        url = served.wait_ready()
        applied = start_against(url, repo, "apply", "-f", ".", "--auto-approve")
        assert applied.wait(timeout=120) == 0, applied.communicate()
        EmulatorState(state).configure(rate_limit_enabled=True, rate_limit_per_second=1, rate_limit_burst=1)
        smoke = start_against(url, repo, "smoke", "-f", ".")
        lines: list[str] = []

        def read() -> None:
            assert smoke.stderr is not None
            lines.extend(line.rstrip("\n") for line in smoke.stderr)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        for _ in range(180):  # until most are submitted (at 1 request/s, with polls between)
            if len(_requests(state)) >= TESTS - 2:
                break
            time.sleep(0.5)
        assert smoke.poll() is None, lines
        smoke.send_signal(signal.SIGINT)
        out = smoke.stdout.read() if smoke.stdout is not None else ""
        code = smoke.wait(timeout=120)  # cancels keep trying for at most 60 s
        reader.join(timeout=10)
        assert code == 130, (out, lines)
        assert not any("Traceback" in line for line in lines)
    submitted = _requests(state)
    uncancelled = [r["id"] for r in submitted if r.get("cancelled_at") is None]
    printed = "\n".join(lines)
    for rid in uncancelled:  # only when the server never confirmed: then its exact command is printed
        assert f"comfyops --api-url {url} request cancel " in printed and f" {rid}" in printed, (rid, printed)
    assert not uncancelled, (uncancelled, out, printed)  # 10 cancels at 1/s fit well within 60 s
    assert "and 4 more" not in printed
    assert "submit failed" not in out + printed  # the paced client stays correct with no burst at all
