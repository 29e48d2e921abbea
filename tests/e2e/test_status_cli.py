"""`comfyops status` against the emulator: every sync state, totals, JSON, one list call, no colour off a TTY."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from support.emulated import deployment_yaml, live_deployments

AUTH = {"Authorization": "Bearer t"}
SETTINGS = """\
apiVersion: comfyops/v1
kind: Settings
spec:
  rate_limit: {requests_per_second: 100, burst: 100}
  prune: {enabled: true, match: ["media-*"], action: pause}
"""


@pytest.fixture
def every_state(run_cli: Any, manifests: Any, emulator: Any) -> Any:
    """Live: media-synced, media-drifted (edited out of band), media-doomed (state: absent), media-stray
    (in prune scope), other-team (outside it). Declared but not live: media-missing."""
    repo = manifests(deployment_yaml("media-synced", extra="min_instances: 1\nhardware: TURING_16"),
                     deployment_yaml("media-drifted"), deployment_yaml("media-doomed"), settings=SETTINGS)
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    for name in ("media-stray", "other-team"):
        httpx.post(f"{emulator.base_url}/prod/v2/deployments", headers=AUTH,
                   json={"name": name, "workflow_id": "wf-txt2img", "workflow_version": "v1"}).raise_for_status()
    drifted = next(d for d in live_deployments(emulator) if d["name"] == "media-drifted")
    httpx.patch(f"{emulator.base_url}/prod/v2/deployments/{drifted['id']}", headers=AUTH,
                json={"name": "media-drifted", "max_instances": 4, "queue_size": 2}).raise_for_status()
    return manifests(deployment_yaml("media-synced", extra="min_instances: 1\nhardware: TURING_16"),
                     deployment_yaml("media-drifted"), deployment_yaml("media-doomed", extra="state: absent"),
                     deployment_yaml("media-missing"), settings=SETTINGS)


def test_status_shows_every_sync_state_and_totals(run_cli, every_state, emulator):
    result = run_cli("--emulator", "status", "-f", "repo", cwd=every_state.parent)
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert lines[0].split() == ["NAME", "ID", "HARDWARE", "MIN/MAX", "ENABLED", "STATUS", "MANIFEST", "COST/MONTH",
                                "SYNC"]
    rows = {line.split()[0]: line for line in lines[1:] if line and not line[0].isdigit()}
    assert rows["media-synced"].split()[-1] == "Synced"
    assert rows["media-synced"].split()[2:8] == ["TURING_16", "1/1", "yes", "standby",
                                                 "repo/deployments.yaml:4", "$722.70"]
    assert rows["media-drifted"].endswith("OutOfSync (max_instances, queue_size)")
    assert rows["media-doomed"].endswith("PendingDelete")
    assert rows["media-stray"].endswith("PendingDelete")
    assert rows["other-team"].endswith("Unmanaged")
    assert rows["media-missing"].endswith("Missing") and rows["media-missing"].split()[1] == "-"
    short = next(d for d in live_deployments(emulator) if d["name"] == "media-synced")["id"][:8]
    assert rows["media-synced"].split()[1] == short
    assert lines[-1] == ("6 deployments: 1 Synced, 1 OutOfSync, 1 Unmanaged, 1 Missing, 2 PendingDelete. "
                         "Monthly warm cost: $722.70.")
    assert "\x1b[" not in result.out  # not a terminal: no colour


def test_status_json_for_scripts(run_cli, every_state):
    result = run_cli("--emulator", "status", "-f", str(every_state), "--format", "json")
    assert result.code == 0, result
    data = json.loads(result.out)
    assert data["format_version"] == 1
    assert {r["name"]: r["sync"] for r in data["rows"]} == {
        "media-doomed": "PendingDelete", "media-drifted": "OutOfSync", "media-missing": "Missing",
        "media-stray": "PendingDelete", "media-synced": "Synced", "other-team": "Unmanaged"}
    drifted = next(r for r in data["rows"] if r["name"] == "media-drifted")
    assert drifted["drifted_fields"] == ["max_instances", "queue_size"] and drifted["max_instances"] == 4
    assert data["totals"] == {"deployments": 6, "monthly_cost": 722.7, "states": {
        "Synced": 1, "OutOfSync": 1, "Unmanaged": 1, "Missing": 1, "PendingDelete": 2}}


def test_status_makes_one_list_call(run_cli, every_state, monkeypatch):
    calls: list[tuple[str, str]] = []
    real_send = httpx.Client.send

    def send(self: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        calls.append((request.method, request.url.path))
        return real_send(self, request, **kwargs)

    monkeypatch.setattr(httpx.Client, "send", send)
    assert run_cli("--emulator", "status", "-f", str(every_state)).code == 0
    assert calls == [("GET", "/prod/v2/deployments")]
