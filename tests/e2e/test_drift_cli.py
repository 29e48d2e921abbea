"""`comfyops drift` against the emulator: out-of-band edits, read-only behaviour, formats, --target, --smoke."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulator.embedded import EmbeddedEmulator
from support.emulated import deployment_yaml, live_deployments

AUTH = {"Authorization": "Bearer t"}
PRUNE_SETTINGS = """\
apiVersion: comfyops/v1
kind: Settings
spec:
  rate_limit: {requests_per_second: 100, burst: 100}
  prune: {enabled: true, match: ["media-*"], action: delete}
"""


def out_of_band(emulator: EmbeddedEmulator, name: str, **changes: Any) -> dict[str, Any]:
    """Someone edits deployment ``name`` in the RunComfy UI (a PATCH through the API)."""
    record = next(d for d in live_deployments(emulator) if d["name"] == name)
    response = httpx.patch(f"{emulator.base_url}/prod/v2/deployments/{record['id']}",
                           json={"name": name, **changes}, headers=AUTH)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture
def applied(run_cli: Any, manifests: Any) -> Path:
    """Two deployments applied and in sync; the second ignores changes to max_instances."""
    repo: Path = manifests(deployment_yaml("alpha", extra="min_instances: 1\nmax_instances: 3"),
                          deployment_yaml("beta", extra="ignore_changes: [max_instances]"))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    return repo


def test_out_of_band_edit_is_drift_until_apply_restores_it(run_cli, applied, emulator):
    assert run_cli("--emulator", "drift", "-f", str(applied)).code == 0
    before = next(d for d in live_deployments(emulator) if d["name"] == "alpha")
    edited = out_of_band(emulator, "alpha", min_instances=2)
    assert edited["updated_at"] > before["updated_at"]
    result = run_cli("--emulator", "drift", "-f", str(applied))
    assert result.code == 2, result
    assert "alpha" in result.out and "has drifted (changed" in result.out
    assert "min_instances: desired 1, live 2" in result.out
    assert f"fix: comfyops --emulator apply -f {applied} --target alpha" in result.out
    data = json.loads(run_cli("--emulator", "drift", "-f", str(applied), "--format", "json").out)
    assert data["fields"] == [{"deployment": "alpha", "id": edited["id"], "field": "min_instances", "desired": 1,
                               "live": 2, "since": edited["updated_at"], "sensitive": False}]
    assert run_cli("--emulator", "apply", "-f", str(applied), "--auto-approve").code == 0
    again = run_cli("--emulator", "drift", "-f", str(applied))
    assert again.code == 0, again
    assert "No drift. Live deployments match the manifests." in again.out


def test_out_of_band_edit_of_an_ignored_field_is_not_drift(run_cli, applied, emulator):
    out_of_band(emulator, "beta", max_instances=7)
    result = run_cli("--emulator", "drift", "-f", str(applied))
    assert result.code == 0, result
    assert "No drift." in result.out


class _Recorder:
    """Every HTTP request comfyops sends, as (method, path)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Recorder]:
    recorder = _Recorder()
    real_send = httpx.Client.send

    def send(self: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        recorder.calls.append((request.method, request.url.path))
        return real_send(self, request, **kwargs)

    monkeypatch.setattr(httpx.Client, "send", send)
    yield recorder


def test_drift_makes_one_list_call_and_writes_nothing(run_cli, applied, emulator, recorded, state_dir):
    out_of_band(emulator, "alpha", queue_size=4)
    recorded.calls.clear()
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in state_dir.rglob("*") if p.is_file()}
    result = run_cli("--emulator", "drift", "-f", str(applied), "--format", "markdown")
    assert result.code == 2, result
    assert recorded.calls == [("GET", "/prod/v2/deployments")]
    after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in state_dir.rglob("*") if p.is_file()}
    assert after == before  # not even the emulator's state file was rewritten
    assert live_deployments(emulator)[0]["queue_size"] == 4


def test_missing_unmanaged_in_prune_scope_and_error_status(run_cli, manifests, emulator):
    repo = manifests(deployment_yaml("media-a"), deployment_yaml("media-b"), settings=PRUNE_SETTINGS)
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    httpx.post(f"{emulator.base_url}/prod/v2/deployments", headers=AUTH,
               json={"name": "media-stray", "workflow_id": "wf-txt2img", "workflow_version": "v1"}).raise_for_status()
    httpx.post(f"{emulator.base_url}/prod/v2/deployments", headers=AUTH,
               json={"name": "other-team", "workflow_id": "wf-txt2img", "workflow_version": "v1"}).raise_for_status()
    with emulator.state.transaction() as data:  # the platform reports media-a as failing
        for record in data["deployments"].values():
            if record["name"] == "media-a":
                record["status"] = "error"
    repo = manifests(deployment_yaml("media-a"), deployment_yaml("media-b"), deployment_yaml("media-c"),
                     settings=PRUNE_SETTINGS)
    result = run_cli("--emulator", "drift", "-f", str(repo), "--format", "json")
    assert result.code == 2, result
    data = json.loads(result.out)
    kinds = {d["name"]: d["kind"] for d in data["deployments"]}
    assert kinds == {"media-a": "error", "media-c": "missing", "media-stray": "unmanaged"}
    assert data["summary"] == {"drifted": 0, "missing": 1, "unmanaged": 1, "error": 1, "in_sync": 1}
    text = run_cli("--emulator", "drift", "-f", str(repo)).out
    assert "media-stray" in text and "the next apply deletes it" in text
    assert "other-team" not in text  # outside the prune scope: not drift
    assert "RunComfy reports status 'error'" in text


def test_target_narrows_and_an_unmatched_target_is_an_error(run_cli, applied, emulator):
    out_of_band(emulator, "alpha", min_instances=0)
    assert run_cli("--emulator", "drift", "-f", str(applied), "--target", "beta").code == 0
    assert run_cli("--emulator", "drift", "-f", str(applied), "--target", "al*").code == 2
    result = run_cli("--emulator", "drift", "-f", str(applied), "--target", "alpah")
    assert result.code == 1
    assert "--target: 'alpah' matches no declared deployment (hint: did you mean 'alpha'?)" in result.err


SMOKE = """\
smoke:
  overrides:
    "5": {inputs: {width: 256, height: 128}}
  expect:
    outputs:
      "9": {images: {count: 1, format: png}}
"""


def test_smoke_results_are_reported_but_do_not_change_the_exit_code(run_cli, manifests, emulator):
    repo = manifests(deployment_yaml("alpha", extra=SMOKE))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    emulator.configure(fail_next_runs=1)
    result = run_cli("--emulator", "drift", "-f", str(repo), "--smoke")
    assert result.code == 0, result
    assert "Smoke tests (reported only; they do not change the exit code):" in result.out
    assert "fail    alpha" in result.out
    out_of_band(emulator, "alpha", keep_warm_duration_in_seconds=5)
    data = json.loads(run_cli("--emulator", "drift", "-f", str(repo), "--smoke", "--format", "json").out)
    assert data["drift"] is True
    assert [r["status"] for r in data["smoke"]["results"]] == ["pass"]


def test_rules_that_only_guard_apply_do_not_stop_drift(run_cli, manifests):
    repo = manifests(deployment_yaml("alpha", extra="protect: true"))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    repo = manifests(deployment_yaml("alpha", extra="protect: true\nstate: absent"))
    assert run_cli("--emulator", "plan", "-f", str(repo)).code == 1  # plan refuses to delete a protected one
    result = run_cli("--emulator", "drift", "-f", str(repo))
    assert result.code == 2, result
    assert 'state: desired "absent", live "present"' in result.out
