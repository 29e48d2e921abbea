"""`comfyops reconcile` against the emulator: report vs heal, expiring ignore rules, pauses, apply windows,
metrics, a notification to a loopback receiver, and `--watch` stopped by SIGTERM."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from e2e.test_drift_cli import out_of_band
from e2e.test_emulator_serve import comfyops
from support.emulated import deployment_yaml, live_deployments


def settings(drift: str = "{mode: report}", notify: str = "") -> str:
    """A Settings document with fast client settings and the given drift (and notify) settings."""
    return ("apiVersion: comfyops/v1\nkind: Settings\nspec:\n"
            "  rate_limit: {requests_per_second: 100, burst: 100}\n"
            f"  drift: {drift}\n" + (f"  notify: {notify}\n" if notify else ""))


def live(emulator: Any, name: str) -> dict[str, Any]:
    return next(d for d in live_deployments(emulator) if d["name"] == name)


class Receiver:
    """A loopback HTTP server that keeps every JSON body POSTed to it (Apprise's json:// target)."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"json://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def repo_with(manifests: Any, run_cli: Any, drift: str = "{mode: report}", notify: str = "",
              ignore: str = "") -> Path:
    """alpha applied and in sync, under the given drift settings."""
    extra = "min_instances: 1\nmax_instances: 3" + (f"\nignore_changes: {ignore}" if ignore else "")
    repo: Path = manifests(deployment_yaml("alpha", extra=extra), settings=settings(drift, notify))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    return repo


def test_report_mode_exits_2_and_changes_nothing(run_cli, manifests, emulator):
    repo = repo_with(manifests, run_cli)
    assert run_cli("--emulator", "reconcile", "-f", str(repo)).code == 0
    out_of_band(emulator, "alpha", min_instances=2)
    result = run_cli("--emulator", "reconcile", "-f", str(repo))
    assert result.code == 2, result
    assert "mode report" in result.out and "drift left unhealed in 1 deployment" in result.out
    assert "min_instances: desired 1, live 2" in result.out
    assert live(emulator, "alpha")["min_instances"] == 2


def test_heal_restores_and_metrics_and_a_notification_say_so(run_cli, manifests, emulator, receiver, tmp_path,
                                                             monkeypatch):
    monkeypatch.setenv("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
    monkeypatch.setenv("NOTIFY_URL", receiver.url)
    repo = repo_with(manifests, run_cli, "{mode: heal}", '{urls: ["${secret:NOTIFY_URL}"], events: [healed]}')
    out_of_band(emulator, "alpha", min_instances=2)
    metrics_file = tmp_path / "comfyops.prom"
    result = run_cli("--emulator", "reconcile", "-f", str(repo), "--metrics-file", str(metrics_file))
    assert result.code == 0, result
    assert "healed 1 deployment" in result.out
    assert live(emulator, "alpha")["min_instances"] == 1
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(metrics_file.read_text()) for s in family.samples}
    assert samples[("comfyops_heal_total", (("environment", "default"), ("name", "alpha"),
                                            ("result", "healed")))] == 1
    assert samples[("comfyops_reconcile_total", (("environment", "default"), ("result", "healed")))] == 1
    assert samples[("comfyops_drift_fields", (("environment", "default"), ("name", "alpha")))] == 0
    assert samples[("comfyops_api_requests_total", (("code", "200"), ("method", "PATCH"),
                                                    ("route", "/prod/v2/deployments/{id}")))] == 1
    [sent] = receiver.bodies
    assert sent["title"] == "ComfyOps: healed drift in default environment"
    assert "alpha" in sent["message"] and "min_instances: 2 (live) -> 1 (git)" in sent["message"]
    assert "Commit: 0123456789abcdef0123456789abcdef01234567" in sent["message"]
    assert "[healed]" in sent["message"]
    again = run_cli("--emulator", "reconcile", "-f", str(repo))
    assert again.code == 0 and "in sync" in again.out
    assert len(receiver.bodies) == 1  # nothing to say when in sync


def test_an_unreachable_notification_target_is_a_warning_not_a_failure(run_cli, manifests, emulator):
    from e2e.test_emulator_serve import _free_port

    url = f"json://127.0.0.1:{_free_port()}/"
    repo = repo_with(manifests, run_cli, "{mode: report}", f'{{urls: ["{url}"], timeout_seconds: 5}}')
    out_of_band(emulator, "alpha", min_instances=2)
    result = run_cli("--emulator", "reconcile", "-f", str(repo))
    assert result.code == 2, result
    assert "warning: notify: drift_detected to URL #1 (json://)" in result.err
    assert url not in result.err


def test_watch_only_options_are_refused_for_one_pass(run_cli, manifests):
    repo = manifests(deployment_yaml("alpha"))
    result = run_cli("--emulator", "reconcile", "-f", str(repo), "--metrics-addr", "127.0.0.1:9464")
    assert result.code != 0 and "--metrics-addr only applies with --watch" in result.err


def test_an_expired_ignore_rule_counts_again(run_cli, manifests, emulator):
    past = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    rule = f'[{{field: min_instances, until: "{past}", reason: "load test"}}]'
    repo = repo_with(manifests, run_cli, ignore=rule)
    out_of_band(emulator, "alpha", min_instances=2)
    result = run_cli("--emulator", "reconcile", "-f", str(repo))
    assert result.code == 2, result
    assert f"ignore_changes rule for min_instances expired {past} (load test)" in result.out
    assert "min_instances: desired 1, live 2" in result.out


def test_an_ignore_rule_before_its_until_still_holds(run_cli, manifests, emulator):
    future = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    repo = repo_with(manifests, run_cli, ignore=f'[{{field: min_instances, until: "{future}"}}, queue_size]')
    out_of_band(emulator, "alpha", min_instances=2, queue_size=4)
    result = run_cli("--emulator", "reconcile", "-f", str(repo))
    assert result.code == 0, result
    assert "expired" not in result.out


def test_a_pause_stops_healing_until_it_ends(run_cli, manifests, emulator):
    repo = repo_with(manifests, run_cli, "{mode: heal}")
    paused = run_cli("reconcile", "pause", "-f", str(repo), "--until", "2099-12-31T18:00Z", "--reason", "freeze")
    assert paused.code == 0, paused
    pause_file = repo / "comfyops-pause.json"
    assert json.loads(pause_file.read_text())["pauses"]["*"]["reason"] == "freeze"
    out_of_band(emulator, "alpha", min_instances=2)
    result = run_cli("--emulator", "reconcile", "-f", str(repo))
    assert result.code == 2, result
    assert "heal did not act: paused" in result.out and "until 2099-12-31T18:00:00Z: freeze" in result.out
    assert live(emulator, "alpha")["min_instances"] == 2
    data = json.loads(pause_file.read_text())  # the freeze ends: its until is now in the past
    data["pauses"]["*"]["until"] = "2000-01-01T00:00:00Z"
    pause_file.write_text(json.dumps(data))
    ended = run_cli("--emulator", "reconcile", "-f", str(repo))
    assert ended.code == 0, ended
    assert "ended at 2000-01-01T00:00:00Z" in ended.out and "healed 1 deployment" in ended.out
    assert live(emulator, "alpha")["min_instances"] == 1
    resumed = run_cli("reconcile", "resume", "-f", str(repo))
    assert resumed.code == 0 and not pause_file.exists()


def test_resume_removes_the_pause(run_cli, manifests, emulator):
    repo = repo_with(manifests, run_cli, "{mode: heal}")
    assert run_cli("reconcile", "pause", "-f", str(repo), "--reason", "incident 42").code == 0
    out_of_band(emulator, "alpha", min_instances=2)
    assert run_cli("--emulator", "reconcile", "-f", str(repo)).code == 2
    assert run_cli("reconcile", "resume", "-f", str(repo)).code == 0
    assert run_cli("--emulator", "reconcile", "-f", str(repo)).code == 0
    assert live(emulator, "alpha")["min_instances"] == 1


def test_an_apply_window_outside_its_hours_downgrades_heal_to_report(run_cli, manifests, emulator):
    closed_hour = (datetime.now(UTC).hour + 12) % 24  # twelve hours from now: never the current hour
    repo = repo_with(manifests, run_cli, f'{{mode: heal, windows: ["* {closed_hour} * * *"]}}')
    out_of_band(emulator, "alpha", min_instances=2)
    result = run_cli("--emulator", "reconcile", "-f", str(repo))
    assert result.code == 2, result
    assert "heal did not act: outside the apply windows" in result.out
    assert live(emulator, "alpha")["min_instances"] == 2
    manifests(deployment_yaml("alpha", extra="min_instances: 1\nmax_instances: 3"),
              settings=settings('{mode: heal, windows: ["* * * * *"]}'))
    assert run_cli("--emulator", "reconcile", "-f", str(repo)).code == 0
    assert live(emulator, "alpha")["min_instances"] == 1


def test_heal_never_creates_a_manifest_that_was_never_applied(run_cli, manifests, emulator):
    repo = repo_with(manifests, run_cli, "{mode: heal}")
    manifests(deployment_yaml("alpha", extra="min_instances: 1\nmax_instances: 3"), deployment_yaml("beta"),
              settings=settings("{mode: heal}"))
    result = run_cli("--emulator", "reconcile", "-f", str(repo))
    assert result.code == 2, result
    assert "left    beta (create): never applied" in result.out
    assert [d["name"] for d in live_deployments(emulator)] == ["alpha"]


def test_heal_recreates_a_deployment_it_saw_live_before(run_cli, manifests, emulator):
    repo = repo_with(manifests, run_cli, "{mode: heal}")
    assert run_cli("--emulator", "reconcile", "-f", str(repo)).code == 0  # seen live once
    gone = live(emulator, "alpha")
    httpx.delete(f"{emulator.base_url}/prod/v2/deployments/{gone['id']}",
                 headers={"Authorization": "Bearer t"}).raise_for_status()
    result = run_cli("--emulator", "reconcile", "-f", str(repo))
    assert result.code == 0, result
    assert "healed  alpha (create)" in result.out
    assert [d["name"] for d in live_deployments(emulator)] == ["alpha"]


def test_a_policy_deny_refuses_heal(run_cli, manifests, emulator):
    repo = repo_with(manifests, run_cli, "{mode: heal}")
    (repo / "policy.rego").write_text(
        'package main\nimport rego.v1\ndeny contains msg if {\n  some c in input.changes\n'
        '  c.action == "update"\n  msg := sprintf("no unattended updates of %s", [c.name])\n}\n'
    )
    manifests(deployment_yaml("alpha", extra="min_instances: 1\nmax_instances: 3"),
              settings=settings("{mode: heal}") + "  policy: {paths: [policy.rego]}\n")
    out_of_band(emulator, "alpha", min_instances=2)
    result = run_cli("--emulator", "reconcile", "-f", str(repo))
    assert result.code == 2, result
    assert "heal did not act: denied by policy" in result.out and "no unattended updates of alpha" in result.out
    assert live(emulator, "alpha")["min_instances"] == 2


class Watcher:
    """``comfyops --emulator reconcile --watch`` in a subprocess, its stderr read line by line."""

    def __init__(self, repo: Path, state_dir: Path, *extra: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "COMFYOPS_EMULATOR_STATE": str(state_dir)}
        self.proc = subprocess.Popen(
            [*comfyops(), "--emulator", "reconcile", "-f", str(repo), "--watch", "--interval", "50ms", *extra],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=lambda: [self.lines.put(x) for x in self.proc.stderr or ()], daemon=True)
        self.reader.start()

    def passes(self, count: int) -> list[str]:
        """Read stderr until ``count`` passes have ended; their headlines."""
        done = [line for line in self.seen if line.startswith("pass ")]
        while len(done) < count:
            line = self.lines.get(timeout=120)
            self.seen.append(line)
            if line.startswith("pass "):
                done.append(line)
        return done

    def stop(self) -> int:
        """SIGTERM, then the exit code; the rest of stderr is read into ``seen``."""
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=120)
        self.reader.join(timeout=10)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def test_watch_runs_passes_serves_metrics_and_stops_on_sigterm(run_cli, manifests, emulator, state_dir):
    repo = repo_with(manifests, run_cli, "{mode: heal}")
    out_of_band(emulator, "alpha", min_instances=2)
    watcher = Watcher(repo, state_dir, "--metrics-addr", "127.0.0.1:0")
    try:
        passes = watcher.passes(3)
        assert "healed 1 deployment" in passes[0] and "in sync" in passes[2], passes
        url = next(line.split()[-1] for line in watcher.seen if line.startswith("serving metrics at "))
        families = {f.name: f for f in text_string_to_metric_families(httpx.get(url).text)}
        assert {"comfyops_deployment_info", "comfyops_reconcile", "comfyops_reconcile_duration_seconds",
                "comfyops_api_requests"} <= set(families)
        passes_counted = sum(s.value for s in families["comfyops_reconcile"].samples
                             if s.name == "comfyops_reconcile_total")
        assert passes_counted >= 3
        assert watcher.stop() == 0
    finally:
        watcher.kill()
    assert any(line.startswith("stopped after ") for line in watcher.seen), watcher.seen
    assert not any("Traceback" in line for line in watcher.seen), watcher.seen
    assert live(emulator, "alpha")["min_instances"] == 1


def test_watch_announces_the_same_drift_once_not_every_pass(run_cli, manifests, emulator, state_dir, receiver):
    repo = repo_with(manifests, run_cli, "{mode: report}", f'{{urls: ["{receiver.url}"]}}')
    out_of_band(emulator, "alpha", min_instances=2)
    watcher = Watcher(repo, state_dir, "--metrics-addr", "127.0.0.1:0")
    try:
        assert all("drift left unhealed" in p for p in watcher.passes(3))
        out_of_band(emulator, "alpha", min_instances=3)  # new drift: announced again
        # passes already under way may not see the change: allow a bounded number more, not a wall clock
        for count in range(4, 60):
            watcher.passes(count)
            if len(receiver.bodies) == 2:
                break
        seen_passes = len(watcher.passes(0))
        assert watcher.stop() == 0
    finally:
        watcher.kill()
    titles = [b["title"] for b in receiver.bodies]
    assert titles == ["ComfyOps: drift in default environment"] * 2, "".join(watcher.seen)
    assert seen_passes >= 4  # the first drift was announced once over at least three passes
    assert "min_instances: 2 (live)" in receiver.bodies[0]["message"]
    assert "min_instances: 3 (live)" in receiver.bodies[1]["message"]


def test_apply_sends_smoke_failed_and_rolled_back(run_cli, manifests, emulator, receiver, state_dir):
    from reconciler.emulator.state import EmulatorState

    smoke = 'smoke:\n  timeout_seconds: 60\n  expect:\n    outputs:\n      "9": {images: {count: 1, format: png}}'
    notify = f'{{urls: ["{receiver.url}"], events: [apply_failed, smoke_failed, rolled_back]}}'
    repo = manifests(deployment_yaml("alpha", extra=f"min_instances: 0\n{smoke}"), settings=settings(notify=notify))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    assert receiver.bodies == []  # a good apply sends nothing
    manifests(deployment_yaml("alpha", extra=f"min_instances: 1\n{smoke}"), settings=settings(notify=notify))
    EmulatorState(state_dir).configure(fail_next_runs=1)
    result = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve", "--smoke",
                     "--rollback-on-smoke-failure")
    assert result.code == 1, result
    assert [b["title"] for b in receiver.bodies] == ["ComfyOps: smoke test failed in default environment",
                                                     "ComfyOps: rolled back in default environment"]
    assert "- alpha: fail" in receiver.bodies[0]["message"]
    assert "- alpha: smoke test failed: restored the previous settings (min_instances)" in receiver.bodies[1]["message"]


def test_heal_with_smoke_counts_smoke_results_and_a_failure_exits_1(run_cli, manifests, emulator, state_dir,
                                                                     tmp_path):
    from reconciler.emulator.state import EmulatorState

    smoke = 'smoke:\n  timeout_seconds: 60\n  expect:\n    outputs:\n      "9": {images: {count: 1, format: png}}'
    repo = manifests(deployment_yaml("alpha", extra=f"min_instances: 0\n{smoke}"), settings=settings("{mode: heal}"))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    out_of_band(emulator, "alpha", max_instances=5)
    metrics_file = tmp_path / "m.prom"
    result = run_cli("--emulator", "reconcile", "-f", str(repo), "--smoke", "--metrics-file", str(metrics_file))
    assert result.code == 0, result
    out_of_band(emulator, "alpha", max_instances=6)
    EmulatorState(state_dir).configure(fail_next_runs=1)
    failed = run_cli("--emulator", "reconcile", "-f", str(repo), "--smoke", "--metrics-file", str(metrics_file))
    assert failed.code == 1, failed
    assert "healed 1, but the smoke test failed for 1 deployment" in failed.out
    results = {s.labels["result"]: s.value for f in text_string_to_metric_families(metrics_file.read_text())
               for s in f.samples if s.name == "comfyops_smoke_total"}
    assert results == {"fail": 1}  # a fresh process: only the last pass's metrics
