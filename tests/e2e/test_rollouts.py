"""Rollouts through a candidate and the way back, over real HTTP against the emulator (issue 25 §3-4).

The CLI talks to one emulator server (``--api-url``) for the whole test, so the server's own traffic
counts (``by_call``) say which calls were made: above all, that a failed candidate never led to a PATCH
of the live deployment.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulator.embedded import EmbeddedEmulator
from support.emulated import DATA, FAST_SETTINGS

WORKFLOW = json.loads((DATA / "workflows" / "txt2img.json").read_text())
DEPLOYMENT = """\
apiVersion: comfyops/v1
kind: Deployment
metadata: {{name: t2i}}
spec:
  workflow_id: wf-1
  workflow_version: {version}
  hardware: AMPERE_48
{rollout}  smoke:
    timeout_seconds: 60
    overrides:
      "3": {{inputs: {{seed: 7}}}}
      "5": {{inputs: {{width: 384, height: 256}}}}
    expect:
      outputs:
        "9": {{images: {{count: 1, similar_to: goldens/t2i.png}}}}
"""
CANDIDATE = "  rollout: {strategy: candidate}\n"
AUTH = {"Authorization": "Bearer rc-test-token"}


class Api:
    """The emulator server the CLI talks to, and the manifest repository it applies."""

    def __init__(self, emulator: EmbeddedEmulator, root: Path, run_cli: Any) -> None:
        self.emulator, self.root, self._run_cli = emulator, root, run_cli

    def cli(self, *args: str) -> Any:
        """``comfyops --api-url <emulator> ARGS`` run in the repository."""
        return self._run_cli("--api-url", self.emulator.base_url, *args, cwd=self.root)

    def write(self, version: str, *, rollout: str = "", settings: str = "") -> None:
        """The t2i manifest on ``version`` (with ``rollout``), and the Settings (plus ``settings`` lines)."""
        (self.root / "deployments.yaml").write_text(DEPLOYMENT.format(version=version, rollout=rollout))
        (self.root / "settings.yaml").write_text(FAST_SETTINGS + settings)

    def save(self, version: str, graph: dict[str, Any] | None = None) -> list[str]:
        """A Cloud Save of wf-1 at ``version`` over HTTP; the versions the emulator removed."""
        body = {"workflow_id": "wf-1", "version": version, "workflow_api_json": graph or WORKFLOW}
        response = httpx.post(f"{self.emulator.base_url}/_emulator/workflows", json=body)
        response.raise_for_status()
        removed: list[str] = response.json()["removed_versions"]
        return removed

    def live(self) -> dict[str, dict[str, Any]]:
        """Live deployments by name."""
        response = httpx.get(f"{self.emulator.base_url}/prod/v2/deployments", headers=AUTH)
        response.raise_for_status()
        return {d["name"]: d for d in response.json()}

    def calls(self, reset: bool = False) -> dict[str, int]:
        """The server's API calls by ``METHOD path`` since the last reset."""
        response = httpx.request("DELETE" if reset else "GET", f"{self.emulator.base_url}/_emulator/traffic")
        calls: dict[str, int] = response.json()["by_call"]
        return calls


@pytest.fixture
def api(emulator: EmbeddedEmulator, tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> Api:
    """t2i deployed on wf-1 v1 with its golden recorded; v2 not saved yet; emulator noise on."""
    monkeypatch.setenv("RUNCOMFY_API_TOKEN", "rc-test-token")
    emulator.configure(noise=0.03)
    root = tmp_path / "repo"
    root.mkdir()
    helper = Api(emulator, root, run_cli)
    helper.save("v1")
    helper.write("v1")
    applied = helper.cli("apply", "--auto-approve")
    assert applied.code == 0, applied
    recorded = helper.cli("smoke", "--update-goldens")
    assert recorded.code == 0, recorded
    return helper


def regressed() -> dict[str, Any]:
    """The workflow with another sampler: a version that now draws another picture."""
    graph = copy.deepcopy(WORKFLOW)
    graph["3"]["inputs"]["sampler_name"] = "euler_ancestral"
    return graph


def test_a_candidate_that_passes_is_switched_to_and_deleted(api: Api) -> None:
    api.save("v2")
    api.write("v2", rollout=CANDIDATE)
    live_id = api.live()["t2i"]["id"]
    planned = api.cli("plan")
    assert "> rollout through candidate t2i.comfyops-candidate: 2 smoke runs" in planned.out
    api.calls(reset=True)

    result = api.cli("apply", "--auto-approve")

    assert result.code == 0, result
    calls = api.calls()
    assert calls[f"PATCH /prod/v2/deployments/{live_id}"] == 1
    assert calls["POST /prod/v2/deployments"] == 1  # the candidate
    deleted = [c for c in calls if c.startswith("DELETE /prod/v2/deployments/")]
    assert len(deleted) == 1 and live_id not in deleted[0]
    live = api.live()
    assert set(live) == {"t2i"} and live["t2i"]["workflow_version"] == "v2"
    assert "t2i.comfyops-candidate: passed the smoke test; switching t2i" in result.out
    assert "t2i.comfyops-candidate: deleted the candidate" in result.out
    closing = "Apply complete: 1 applied, 0 failed; smoke: 2 passed; rolled back: 0"
    assert result.out.rstrip().splitlines()[-1] == closing


def test_a_candidate_that_fails_its_golden_never_touches_the_live_deployment(api: Api) -> None:
    api.save("v2", regressed())
    api.write("v2", settings="  keep_previous_version: true\n")  # no keeper either: nothing moved off v1
    live_id = api.live()["t2i"]["id"]
    api.calls(reset=True)

    result = api.cli("apply", "--auto-approve", "--candidate", "--format", "json")

    assert result.code == 1, result
    calls = api.calls()
    assert not [c for c in calls if c.startswith("PATCH ")], calls
    assert f"POST /prod/v1/deployments/{live_id}/inference" not in calls
    live = api.live()
    assert set(live) == {"t2i"} and live["t2i"]["workflow_version"] == "v1"
    report = json.loads(result.out)
    [change] = report["changes"]
    assert change["outcome"] == "failed" and "did not pass the smoke test (fail)" in change["message"]
    [tested] = report["smoke"]["results"]
    assert tested["name"] == "t2i.comfyops-candidate" and tested["status"] == "fail"
    [compared] = tested["goldens"]
    assert compared["hash_distance"] > compared["max_hash_distance"] or compared["ssim"] < compared["min_ssim"]
    assert any(note.startswith("t2i.comfyops-candidate: deleted the candidate") for note in report["rollouts"])


def test_a_post_switch_failure_rolls_back_to_the_previous_version(api: Api) -> None:
    api.save("v2")
    api.write("v2", rollout=CANDIDATE)
    live_id = api.live()["t2i"]["id"]
    api.emulator.set_faults(error_rate=1.0, methods=("POST",), path_prefix=f"/prod/v1/deployments/{live_id}/inference")
    api.calls(reset=True)

    result = api.cli("apply", "--auto-approve")

    assert result.code == 1, result
    assert api.calls()[f"PATCH /prod/v2/deployments/{live_id}"] == 2  # the switch, then the way back
    live = api.live()
    assert set(live) == {"t2i"} and live["t2i"]["workflow_version"] == "v1"
    assert "t2i: smoke test failed: restored the previous settings (workflow_version)" in result.out


def test_an_interrupted_rollout_deletes_its_candidate_and_leaves_live_alone(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.save("v2")
    api.write("v2", rollout=CANDIDATE)

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr("reconciler.session.candidates.runner.run_smoke", interrupted)
    result = api.cli("apply", "--auto-approve")

    assert result.code == 130, result
    live = api.live()
    assert set(live) == {"t2i"} and live["t2i"]["workflow_version"] == "v1"


def test_a_candidate_a_killed_apply_left_is_deleted_by_the_next_run_and_nothing_else(api: Api) -> None:
    api.save("v2")
    for name, version, warm in (("t2i.comfyops-candidate", "v2", 0), ("other.comfyops-candidate", "v2", 0),
                                ("t2i-x.comfyops-candidate", "v1", 1)):
        body = {"name": name, "workflow_id": "wf-1", "workflow_version": version, "min_instances": warm}
        httpx.post(f"{api.emulator.base_url}/prod/v2/deployments", json=body, headers=AUTH).raise_for_status()
    leftover = api.live()["t2i.comfyops-candidate"]["id"]
    planned = api.cli("plan")
    assert "- t2i.comfyops-candidate" in planned.out
    assert "rollout candidate of t2i left by an interrupted apply" in planned.out
    assert "other.comfyops-candidate (" in planned.out
    assert "of other, which these manifests do not declare; left alone" in planned.out
    drift = json.loads(api.cli("drift", "--format", "json").out)
    assert drift["in_sync"] == ["t2i"] and drift["deployments"] == []  # ComfyOps's own leftover is not drift
    rows = json.loads(api.cli("status", "--format", "json").out)["rows"]
    assert [r["name"] for r in rows] == ["t2i"]

    api.write("v2", rollout=CANDIDATE)
    api.calls(reset=True)
    result = api.cli("apply", "--auto-approve")

    assert result.code == 0, result
    assert api.calls()[f"DELETE /prod/v2/deployments/{leftover}"] == 1
    assert set(api.live()) == {"t2i", "other.comfyops-candidate", "t2i-x.comfyops-candidate"}
    assert f"deleted a candidate an interrupted apply left ({leftover})" in result.out


def test_moving_off_the_last_user_of_a_version_warns_and_a_keeper_keeps_it(api: Api) -> None:
    api.save("v2")
    api.write("v2")
    planned = api.cli("plan")
    warning = "version 'v1' of workflow wf-1 will be used by no deployment: the next Cloud Save may remove it"
    assert warning in planned.out

    api.write("v2", settings="  keep_previous_version: true\n")
    result = api.cli("apply", "--auto-approve")
    assert result.code == 0, result
    keeper = api.live()["t2i.comfyops-keep"]
    assert (keeper["workflow_version"], keeper["is_enabled"], keeper["min_instances"]) == ("v1", False, 0)
    assert api.save("v3") == []
    assert api.save("v4") == ["v3"]  # v1 (the keeper's) and v2 (t2i's) are in use: the oldest unused one goes
    assert httpx.get(f"{api.emulator.base_url}/_emulator/workflows").json()["wf-1"] == ["v1", "v2", "v4"]
    assert api.cli("plan", "--detailed-exitcode").code == 0  # the keeper is neither pruned nor unmanaged


def test_the_emulator_keeps_three_versions_and_removes_the_oldest_unused_one(api: Api) -> None:
    assert api.save("v2") == []
    assert api.save("v3") == []
    assert api.save("v2") == []  # saving an existing version again adds none
    assert api.save("v4") == ["v2"]  # v1 is in use by t2i
    versions = httpx.get(f"{api.emulator.base_url}/_emulator/workflows").json()["wf-1"]
    assert versions == ["v1", "v3", "v4"]


def test_a_plan_file_cannot_make_a_rollout_delete_what_is_not_its_candidate(api: Api) -> None:
    from reconciler.engine.plan import Plan

    api.save("v2")
    api.write("v2", rollout=CANDIDATE)
    body = {"name": "bystander", "workflow_id": "wf-1", "workflow_version": "v1"}
    httpx.post(f"{api.emulator.base_url}/prod/v2/deployments", json=body, headers=AUTH).raise_for_status()
    bystander = api.live()["bystander"]["id"]
    assert api.cli("plan", "--out", "plan.json").code == 0
    data = json.loads((api.root / "plan.json").read_text())
    [change] = [c for c in data["changes"] if c.get("rollout")]
    change["rollout"]["leftover_ids"] = [bystander]
    (api.root / "plan.json").write_text(Plan.from_dict(data).to_json())  # a consistent checksum
    api.calls(reset=True)

    result = api.cli("apply", "plan.json")

    assert result.code == 1, result
    assert not [c for c in api.calls() if c.startswith(("DELETE /prod/v2", "PATCH "))]
    assert set(api.live()) == {"t2i", "bystander"} and api.live()["t2i"]["workflow_version"] == "v1"
    assert "refusing to delete 'bystander'" in result.out + result.err


def test_a_replace_refused_without_allow_replace_pays_for_no_candidate(api: Api) -> None:
    body = {"workflow_id": "wf-2", "version": "v1", "workflow_api_json": WORKFLOW}
    httpx.post(f"{api.emulator.base_url}/_emulator/workflows", json=body).raise_for_status()
    text = DEPLOYMENT.format(version="v1", rollout=CANDIDATE).replace("workflow_id: wf-1", "workflow_id: wf-2")
    (api.root / "deployments.yaml").write_text(text)
    api.calls(reset=True)

    result = api.cli("apply", "--auto-approve")

    assert result.code == 1 and "refusing without --allow-replace" in result.err, result
    assert not [c for c in api.calls() if not c.startswith("GET ")]


def test_a_new_workflow_is_tried_on_a_candidate_then_replaces_the_deployment(api: Api) -> None:
    body = {"workflow_id": "wf-2", "version": "v1", "workflow_api_json": WORKFLOW}
    httpx.post(f"{api.emulator.base_url}/_emulator/workflows", json=body).raise_for_status()
    text = DEPLOYMENT.format(version="v1", rollout=CANDIDATE).replace("workflow_id: wf-1", "workflow_id: wf-2")
    (api.root / "deployments.yaml").write_text(text)
    old_id = api.live()["t2i"]["id"]

    result = api.cli("apply", "--auto-approve", "--allow-replace")

    assert result.code == 0, result
    live = api.live()
    assert set(live) == {"t2i"} and live["t2i"]["workflow_id"] == "wf-2" and live["t2i"]["id"] != old_id
    assert "t2i.comfyops-candidate: passed the smoke test; switching t2i" in result.out
