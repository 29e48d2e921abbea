"""``comfyops emulator serve`` as a user runs it: a real process that prints its URL and answers the API,
and ``comfyops emulator reset`` clearing what was created through it.

The command is the venv's ``comfyops`` console script when it is installed, else ``python -m reconciler``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from reconciler.emulator.state import EmulatorState
from reconciler.retry import RetryPolicy
from reconciler.runcomfy import wire
from reconciler.runcomfy.client import RunComfyClient
from reconciler.runcomfy.http import build_http_client
from reconciler.runcomfy.ratelimit import TokenBucket

WORKFLOW = Path(__file__).parents[1] / "data" / "workflows" / "txt2img.json"
WF = "wf-txt2img"
AUTH = {"Authorization": "Bearer any-token"}
STARTUP_SECONDS = 20.0
_SSL_CONTEXT = ssl.create_default_context()


def comfyops() -> list[str]:
    """The venv's console script, else the module."""
    script = Path(sys.executable).parent / "comfyops"
    return [str(script)] if script.is_file() and os.access(script, os.X_OK) else [sys.executable, "-m", "reconciler"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUNCOMFY_", "COMFYOPS_EMULATOR"))}
    env.update(PYTHONUNBUFFERED="1", **extra)
    return env


def start_against(url: str, cwd: Path, *args: str) -> subprocess.Popen[str]:
    """Start ``comfyops --api-url URL ARGS...`` in ``cwd`` with any token, its output captured as text."""
    return subprocess.Popen(
        [*comfyops(), "--api-url", url, *args],
        cwd=cwd,
        env=_env(RUNCOMFY_API_TOKEN="any-token", NO_COLOR="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class Served:
    """A running ``comfyops emulator serve``: its printed URL and everything it has printed so far."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self.url: str | None = None
        self._found = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            match = re.search(r"listening on (http://\S+)", line)
            if match and self.url is None:
                self.url = match.group(1)
                self._found.set()
        self._found.set()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_ready(self) -> str:
        """Wait for the printed URL, then until the API answers there; returns the URL."""
        assert self._found.wait(STARTUP_SECONDS), f"no URL printed within {STARTUP_SECONDS}s: {self.output}"
        assert self.url is not None, f"serve exited ({self.proc.poll()}) without printing its URL: {self.output}"
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"serve exited with {self.proc.returncode}: {self.output}"
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/_emulator/health", timeout=1, verify=_SSL_CONTEXT).status_code == 200:
                    return self.url
            time.sleep(0.05)
        raise AssertionError(f"{self.url} did not answer within {STARTUP_SECONDS}s: {self.output}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._reader.join(timeout=5)
        return self.proc.returncode


@contextlib.contextmanager
def serve(*args: str, cwd: Path, env: dict[str, str]) -> Iterator[Served]:
    proc = subprocess.Popen(
        [*comfyops(), "emulator", "serve", *args],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    served = Served(proc)
    try:
        yield served
    finally:
        code = served.stop()
    # uvicorn re-raises the signal after a graceful shutdown, so dying "by SIGTERM" is a clean stop too.
    assert code in (0, -signal.SIGTERM), f"serve did not stop cleanly on SIGTERM ({code}): {served.output}"


def reset(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*comfyops(), "emulator", "reset", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False,
    )


def client_for(url: str) -> RunComfyClient:
    http = build_http_client(
        base_url=url, token="any-token", timeout=httpx.Timeout(10.0), transport=httpx.HTTPTransport(verify=_SSL_CONTEXT)
    )
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += max(1e-6, seconds)

    return RunComfyClient(
        http,
        limiter=TokenBucket(100.0, 100, clock=lambda: now[0], sleep=sleep),
        retry=RetryPolicy(base=0.001, cap=0.004, max_attempts=3),
        clock=lambda: now[0],
        sleep=sleep,
    )


def _list(url: str, headers: dict[str, str] | None = AUTH) -> httpx.Response:
    return httpx.get(f"{url}/prod/v2/deployments", headers=headers, timeout=5, verify=_SSL_CONTEXT)


def test_serve_prints_its_url_answers_and_reset_clears_what_it_created(tmp_path: Path) -> None:
    state, port = tmp_path / "state", _free_port()
    args = ["--port", str(port), "--state", str(state), "--register-workflow", f"{WF}:v1:{WORKFLOW}"]
    with serve(*args, cwd=tmp_path, env=_env()) as served:
        url = served.wait_ready()
        assert url == f"http://127.0.0.1:{port}"
        assert f"registered workflow {WF} version v1" in served.output
        assert f"RUNCOMFY_API_URL={url}" in served.output

        listed = _list(url)
        assert listed.status_code == 200 and listed.json() == []
        refused = _list(url, headers=None)
        assert refused.status_code == 401 and refused.json()["error_code"] == 401001

        client = client_for(url)
        try:
            made = client.create_deployment(wire.DeploymentCreate(name="served", workflow_id=WF, workflow_version="v1"))
        finally:
            client.http.close()
        assert [d["id"] for d in _list(url).json()] == [made.id]
        assert EmulatorState(state).counts()["deployments"] == 1

        cleared = reset("--state", str(state), cwd=tmp_path, env=_env())
        assert cleared.returncode == 0, cleared
        assert f"cleared 1 deployment(s), 1 workflow version(s) and 0 request(s) from {state}" in cleared.stdout
        assert _list(url).json() == []  # the running server sees the reset at once
        assert httpx.get(f"{url}/_emulator/workflows", timeout=5, verify=_SSL_CONTEXT).json() == {}


def test_serve_on_a_fresh_checkout_keeps_state_in_dot_comfyops(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    env = _env()  # no COMFYOPS_EMULATOR_STATE: the default .comfyops/emulator under the working directory
    port = _free_port()
    with serve("--port", str(port), "--no-rate-limit", cwd=checkout, env=env) as served:
        url = served.wait_ready()
        assert "state: .comfyops/emulator" in served.output
        registered = httpx.post(
            f"{url}/_emulator/workflows", timeout=5, verify=_SSL_CONTEXT,
            json={"workflow_id": WF, "version": "v1", "workflow_api_json": json.loads(WORKFLOW.read_text())},
        )
        assert registered.status_code == 201
        client = client_for(url)
        try:
            made = client.create_deployment(wire.DeploymentCreate(name="fresh", workflow_id=WF, workflow_version="v1"))
        finally:
            client.http.close()
    state = checkout / ".comfyops" / "emulator"
    assert (state / "state.json").is_file()

    with serve("--port", str(_free_port()), cwd=checkout, env=env) as again:  # a second process, same state
        url = again.wait_ready()
        assert [d["name"] for d in _list(url).json()] == ["fresh"]
        assert _list(url).json()[0]["id"] == made.id

    cleared = reset(cwd=checkout, env=env)
    assert cleared.returncode == 0, cleared
    assert "cleared 1 deployment(s)" in cleared.stdout
    assert EmulatorState(state).counts() == {"deployments": 0, "workflow_versions": 0, "requests": 0}
    assert "nothing to clear" in reset(cwd=tmp_path, env=env).stdout
