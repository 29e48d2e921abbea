"""run_smoke end to end over loopback HTTP against the embedded emulator."""

from __future__ import annotations

import signal
import threading
from typing import Any

import httpx

from reconciler.smoke.report import SmokeStatus
from reconciler.smoke.runner import run_smoke
from tests.unit.smoke.conftest import FAST_POLL, Env, smoke_doc

PASS, FAIL, ERROR, SKIPPED = SmokeStatus.PASS, SmokeStatus.FAIL, SmokeStatus.ERROR, SmokeStatus.SKIPPED
GOOD = """
expect:
  outputs:
    "9": {images: {count: 1, format: png, min_width: 64, max_height: 32}}
    "50": {text: {non_empty: true}}
"""


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.closed = False
        self.lock = threading.Lock()

    def update(self, name: str, phase: str, detail: str = "") -> None:
        with self.lock:
            self.events.append((name, phase))

    def close(self) -> None:
        self.closed = True


def smoke(env: Env, *docs: str, presets: str = "", **kw: Any) -> Any:
    desired = env.desired(*docs, presets=presets)
    return run_smoke(desired, list(desired.deployments), client=env.client, poll=FAST_POLL, **kw)


def test_a_passing_smoke_test_checks_every_expectation_and_deletes_the_assets(env: Env) -> None:
    env.deploy("t2i")
    progress = Recorder()
    report = smoke(env, smoke_doc("t2i", GOOD), progress=progress)
    result = report.by_name()["t2i"]
    assert (result.status, result.reason) == (PASS, "6 checks passed"), result
    assert report.ok
    assert result.cleanup == "deleted 1 stored object"
    assert env.request(result.request_id)["deleted"] is True
    url = f"{env.emu.base_url}/_emulator/outputs/{result.request_id}/ComfyUI_9_00001_.png"
    assert httpx.get(url).status_code == 404
    phases = [p for n, p in progress.events]
    assert phases[0] == "submitting" and "checking" in phases and phases[-1] == "done" and progress.closed


def test_cleanup_false_keeps_the_outputs(env: Env) -> None:
    env.deploy("t2i")
    report = smoke(env, smoke_doc("t2i", "cleanup: false\n" + GOOD))
    result = report.results[0]
    assert (result.status, result.cleanup) == (PASS, "kept (cleanup: false)")
    url = f"{env.emu.base_url}/_emulator/outputs/{result.request_id}/ComfyUI_9_00001_.png"
    assert httpx.get(url).content.startswith(b"\x89PNG")
    assert not any(c.startswith("DELETE") and "/requests/" in c for c in env.calls)


def test_preset_overrides_reach_the_run_and_failing_expectations_fail(env: Env) -> None:
    env.deploy("t2i")
    presets = """
    apiVersion: comfyops/v1
    kind: OverridePreset
    metadata: {name: wide}
    spec:
      overrides:
        "5": {inputs: {width: 200, height: 100}}
        "50": {inputs: {text: "   "}}
    """
    doc = smoke_doc("t2i", """
        preset: wide
        expect:
          outputs:
            "9": {images: {format: jpeg, max_width: 199, min_height: 100}}
            "50": {text: {non_empty: true}}
    """)
    result = smoke(env, doc, presets=presets).results[0]
    by_name = {c.name: c for c in result.checks}
    assert result.status is FAIL
    assert by_name['outputs."9".images.format'].message == "item 1 (ComfyUI_9_00001_.png) is png, expected jpeg"
    assert by_name['outputs."9".images.width'].message.endswith("width 200 is above the maximum 199")
    assert by_name['outputs."9".images.height'].status is PASS
    assert by_name['outputs."50".text.non_empty'].message == "item 1 is empty"
    assert result.reason.startswith('outputs."9".images.format: ') and result.reason.endswith("(and 2 more)")


def test_a_failed_run_and_a_missing_node(env: Env) -> None:
    env.deploy("a")
    env.deploy("b")
    env.emu.configure(fail_next_runs=1)
    docs = [smoke_doc("a", GOOD), smoke_doc("b", 'expect: {outputs: {"77": {images: {count: 1}}}}')]
    report = smoke(env, *docs, concurrency=1)
    a, b = report.by_name()["a"], report.by_name()["b"]
    assert (a.status, a.reason) == (FAIL, "status: expected succeeded, run failed: Emulated failure (fail_next_runs)")
    assert (b.status, b.reason) == (
        FAIL, 'outputs."77".images: node "77" produced nothing; the run produced "9" (images: 1), "50" (text: 1)'
    )
    assert not report.ok


def test_max_duration(env: Env) -> None:
    env.deploy("slow")
    env.deploy("quick")
    docs = [smoke_doc("slow", "expect: {max_duration_seconds: 0.05}"),
            smoke_doc("quick", "expect: {max_duration_seconds: 30}")]
    results = smoke(env, *docs).by_name()
    slow, quick = results["slow"], results["quick"]
    assert slow.status is FAIL and slow.reason.startswith("max_duration_seconds: took 0.2s, more than")
    assert quick.status is PASS


def test_not_deployed_paused_and_absent_are_skipped_with_a_reason(env: Env) -> None:
    docs = [smoke_doc("ghost", GOOD), smoke_doc("paused", GOOD, is_enabled="false"),
            smoke_doc("gone", GOOD, state="absent")]
    report = smoke(env, *docs)
    assert {r.name: (r.status, r.reason) for r in report.results} == {
        "ghost": (SKIPPED, "not deployed: no live deployment named 'ghost'"),
        "paused": (SKIPPED, "paused in the manifest (is_enabled: false)"),
        "gone": (SKIPPED, "state: absent"),
    }
    assert report.ok
    assert env.calls == ["GET /prod/v2/deployments"]


def test_a_disabled_deployment_is_an_error(env: Env) -> None:
    env.deploy("t2i", is_enabled=False)
    result = smoke(env, smoke_doc("t2i", GOOD)).results[0]
    assert result.status is ERROR
    assert result.reason.startswith("submit failed: POST /prod/v1/deployments/")
    assert "10002" in result.reason and result.request_id is None


def test_an_ambiguous_submit_failure_is_an_error_and_never_resubmitted(env: Env) -> None:
    env.deploy("t2i")
    env.emu.set_faults(error_rate=1.0, methods=["POST"], path_prefix="/prod/v1/")
    result = smoke(env, smoke_doc("t2i", GOOD)).results[0]
    assert result.status is ERROR
    assert result.reason.endswith("it may have been queued, and was not resubmitted")
    assert sum(1 for c in env.calls if c.endswith("/inference")) == 1


def test_a_timeout_cancels_the_request_and_fails(env: Env) -> None:
    env.deploy("t2i")
    env.emu.configure(run_seconds=600)
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += max(seconds, 0.4)

    result = smoke(env, smoke_doc("t2i", "timeout_seconds: 1\n" + GOOD), clock=lambda: now[0], sleep=sleep).results[0]
    assert result.status is FAIL
    assert result.reason == "timed out after 1s (still in_progress); request cancel: cancelled"
    assert env.phase(result.deployment_id, result.request_id) == "cancelled"
    assert result.cleanup == "deleted 0 stored objects"


def test_ctrl_c_in_a_worker_cancels_every_request_in_flight(env: Env) -> None:
    env.deploy("a")
    env.deploy("b")
    env.emu.configure(run_seconds=600)
    both_running = threading.Barrier(2, timeout=5)
    calls = [0]

    def sleep(seconds: float) -> None:
        both_running.wait()
        calls[0] += 1
        if calls[0] == 1:
            raise KeyboardInterrupt

    report = smoke(env, smoke_doc("a", GOOD), smoke_doc("b", GOOD), sleep=sleep, concurrency=2)
    assert report.interrupted and not report.ok
    for result in report.results:
        assert (result.status, result.reason) == (ERROR, "interrupted; request cancel: cancelled")
        assert env.phase(result.deployment_id, result.request_id) == "cancelled"


def test_ctrl_c_in_the_main_thread_cancels_in_flight_requests(env: Env) -> None:
    env.deploy("a")
    env.emu.configure(run_seconds=600)
    main = threading.main_thread().ident
    assert main is not None
    sent = threading.Event()

    class InterruptWhenRunning(Recorder):
        def update(self, name: str, phase: str, detail: str = "") -> None:
            if phase == "running" and not sent.is_set():
                sent.set()
                signal.pthread_kill(main, signal.SIGINT)

    report = smoke(env, smoke_doc("a", GOOD), progress=InterruptWhenRunning())
    result = report.results[0]
    assert report.interrupted
    assert (result.status, result.reason) == (ERROR, "interrupted; request cancel: cancelled")
    assert env.phase(result.deployment_id, result.request_id) == "cancelled"


def test_secrets_never_reach_the_report(env: Env) -> None:
    env.deploy("t2i")
    env.emu.set_faults(error_rate=1.0, methods=["POST"], path_prefix="/prod/v1/")
    doc = smoke_doc("t2i", 'extra_data: {api_key_comfy_org: "${COMFY_KEY}"}\n' + GOOD)
    report = smoke(env, doc)
    assert "comfyui-secret-key-123" not in repr(report)


def test_each_result_counts_the_api_calls_its_test_made(env: Env) -> None:
    env.deploy("t2i")
    env.calls.clear()
    report = smoke(env, smoke_doc("t2i", GOOD))
    result = report.results[0]
    assert result.status is PASS
    per_test = [c for c in env.calls if c != "GET /prod/v2/deployments"]  # the one list call is the run's
    assert result.api_calls == len(per_test) >= 4  # submit, status poll(s), result, download, delete
    assert report.to_dict()["api_calls"] == result.api_calls
    assert report.calls_line() == f"{result.api_calls} API calls, {result.api_calls:.1f} per test"


def test_outputs_on_another_host_are_not_api_calls_and_tests_due_to_be_done_skip_the_status_poll(env: Env) -> None:
    env.emu.configure(outputs_host="localhost")  # the API is reached at 127.0.0.1: outputs are elsewhere
    hosts: list[tuple[str, str, bool]] = []
    env.client.http.event_hooks["request"].append(
        lambda r: hosts.append((r.url.host, r.url.path, "authorization" in r.headers)))
    for name in ("a", "b", "c"):
        env.deploy(name)
    env.calls.clear()
    image = 'expect: {outputs: {"9": {images: {count: 1, format: png}}}}'
    report = smoke(env, *(smoke_doc(n, image) for n in ("a", "b", "c")), concurrency=1)
    assert [r.status for r in report.results] == [PASS, PASS, PASS], report.results
    downloads = [(host, auth) for host, path, auth in hosts if "/_emulator/outputs/" in path]
    assert downloads == [("localhost", False)] * 3, "downloaded from the storage host, without the token"
    # the first test learns how long a job takes; the next ones ask for the result when due: no status poll
    statuses = [c for c in env.calls if c.endswith("/status")]
    assert all(c.split("/")[-2] == report.results[0].request_id for c in statuses), statuses
    assert [r.api_calls for r in report.results[1:]] == [3, 3]  # submit, result, delete
