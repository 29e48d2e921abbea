"""Ctrl-C during smoke: announced at once, nothing new submitted, cancels first (ahead of the rate limit)."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

from reconciler.retry import RetryPolicy
from reconciler.runcomfy.client import RunComfyClient
from reconciler.runcomfy.http import build_http_client
from reconciler.runcomfy.ratelimit import TokenBucket
from reconciler.smoke.report import SmokeStatus
from reconciler.smoke.runner import run_smoke
from unit.smoke.conftest import FAST_POLL, Env, smoke_doc

GOOD = 'expect:\n  outputs:\n    "9": {images: {count: 1}}\n'


class Recorder:
    def __init__(self, on_update: Any = None) -> None:
        self.events: list[tuple[str, str]] = []
        self.notices: list[tuple[float, str]] = []
        self.on_update = on_update

    def update(self, name: str, phase: str, detail: str = "") -> None:
        self.events.append((name, phase))
        if self.on_update is not None:
            self.on_update(name, phase)

    def close(self) -> None:
        pass

    def interrupt(self, message: str) -> None:
        self.notices.append((time.monotonic(), message))


def test_ctrl_c_submits_nothing_new_and_cancels_at_once_despite_the_rate_limit(env: Env) -> None:
    """Two tokens: a's submit and first poll. b's submit then waits ~5 s for a token; Ctrl-C lands
    during that wait. b is never sent, a's next poll gives up its wait, a's cancel borrows from the
    burst instead of queueing, and the run ends well before the next token."""
    env.deploy("a")
    env.deploy("b")
    env.emu.configure(run_seconds=600)
    calls: list[tuple[float, str]] = []
    http = build_http_client(base_url=env.emu.base_url, token="test-token")
    http.event_hooks["request"].append(lambda r: calls.append((time.monotonic(), f"{r.method} {r.url.path}")))
    client = RunComfyClient(http, limiter=TokenBucket(0.2, 2), retry=RetryPolicy(base=0.0, max_attempts=2))
    main = threading.main_thread().ident
    assert main is not None
    pressed: list[float] = []

    def press_when_b_waits(name: str, phase: str) -> None:
        if (name, phase) == ("b", "submitting") and not pressed:

            def press() -> None:
                pressed.append(time.monotonic())
                signal.pthread_kill(main, signal.SIGINT)

            threading.Timer(0.5, press).start()

    progress = Recorder(press_when_b_waits)
    desired = env.desired(smoke_doc("a", GOOD), smoke_doc("b", GOOD))
    try:
        report = run_smoke(
            desired, list(desired.deployments), client=client, poll=FAST_POLL, progress=progress, concurrency=2
        )
    finally:
        http.close()
    by_name = report.by_name()
    assert report.interrupted
    assert (by_name["b"].status, by_name["b"].reason) == (SmokeStatus.SKIPPED, "interrupted before it was submitted")
    assert by_name["a"].reason == "interrupted; request cancel: cancelled"
    assert by_name["a"].cleanup == "not deleted: interrupted"
    submits = [t for t, call in calls if call.endswith("/inference")]
    assert len(submits) == 1 and submits[0] < pressed[0]  # nothing submitted after Ctrl-C
    cancels = [t for t, call in calls if call.endswith("/cancel")]
    assert len(cancels) == 1 and cancels[0] > pressed[0]  # cancelled after Ctrl-C, b never waited for a token
    assert [message for _, message in progress.notices] == [
        "Interrupt received: cancelling 1 request... (Ctrl-C again to exit now)"
    ]
    assert progress.notices[0][0] >= pressed[0]


def test_a_cancel_the_server_never_confirms_names_the_command_that_finishes_it(
    env: Env, monkeypatch: Any
) -> None:
    """Every cancel after Ctrl-C fails (the server errs) for the whole patience: the result says the job may
    still run, with the exact command (as the caller builds it) that cancels it."""
    from reconciler.smoke import runner

    monkeypatch.setattr(runner, "CANCEL_PATIENCE", 1.0)
    dep = env.deploy("a")
    env.emu.configure(run_seconds=600)
    env.emu.set_faults(error_rate=1.0, path_prefix=f"/prod/v1/deployments/{dep}/requests/", methods=["POST"])
    http = build_http_client(base_url=env.emu.base_url, token="test-token")
    client = RunComfyClient(http, limiter=TokenBucket(50, 50), retry=RetryPolicy(base=0.05, cap=0.1))
    main = threading.main_thread().ident
    assert main is not None

    def press_when_running(name: str, phase: str) -> None:
        if phase in ("queued", "running") and not pressed:
            pressed.append(time.monotonic())
            threading.Timer(0.1, lambda: signal.pthread_kill(main, signal.SIGINT)).start()

    pressed: list[float] = []
    desired = env.desired(smoke_doc("a", GOOD))
    try:
        report = run_smoke(desired, list(desired.deployments), client=client, poll=FAST_POLL,
                           progress=Recorder(press_when_running),
                           cancel_command=lambda d, r: f"comfyops --emulator request cancel {d} {r}")
    finally:
        http.close()
    [result] = report.results
    assert report.interrupted and result.may_still_run
    assert result.request_id is not None
    assert result.reason.startswith("interrupted; request cancel: cancel failed: ")
    assert result.reason.endswith(
        f"it may still be running: cancel it with `comfyops --emulator request cancel {dep} {result.request_id}`"
    )
