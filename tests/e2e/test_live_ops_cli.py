"""Live-instance and request operations against the emulator: requests, request, proxy, free, free_memory_after."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator.state import EmulatorState
from support.emulated import deployment_yaml

SMOKE = """\
smoke:
  free_memory_after: true
  overrides: {"6": {inputs: {text: "a lighthouse"}}}
  expect:
    outputs:
      "9": {images: {count: 1, format: png}}
"""


def _state() -> EmulatorState:
    return EmulatorState(Path(os.environ["COMFYOPS_EMULATOR_STATE"]))


def _proxy_calls() -> list[dict[str, Any]]:
    with _state().read() as data:
        return list(data.get("proxy_calls", []))


def _history() -> list[dict[str, Any]]:
    path = Path(os.environ["COMFYOPS_HISTORY"])
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _requests_json(run_cli: Any, *args: str) -> dict[str, Any]:
    result = run_cli("--emulator", "requests", "--format", "json", *args)
    assert result.code == 0, result
    data: dict[str, Any] = json.loads(result.out)
    return data


@pytest.fixture
def smoked(run_cli: Any, manifests: Any) -> dict[str, Any]:
    """t2i applied and smoke-tested (free_memory_after); its history entry."""
    repo = manifests(deployment_yaml("t2i", extra=SMOKE))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    result = run_cli("--emulator", "smoke", "-f", str(repo))
    assert result.code == 0, result
    assert "instance: freed instance-" in result.out
    [entry] = _requests_json(run_cli)["requests"]
    return {"repo": repo, **entry}


def test_smoke_then_requests_shows_the_request_with_its_instance(run_cli: Any, smoked: dict[str, Any]) -> None:
    assert smoked["deployment"] == "t2i" and smoked["source"] == "smoke" and smoked["api"] == "emulator"
    assert smoked["status"] == "completed" and smoked["outcome"] == "succeeded"
    assert smoked["instance_id"].startswith("instance-")
    text = run_cli("--emulator", "requests")
    assert text.code == 0
    header, row = text.out.splitlines()
    assert header.split() == ["SUBMITTED", "DEPLOYMENT", "REQUEST", "STATUS", "OUTCOME", "INSTANCE", "SOURCE"]
    assert row.split()[1:] == ["t2i", smoked["request_id"], "completed", "succeeded", smoked["instance_id"], "smoke"]
    # free_memory_after reached the instance that ran the request, with both flags, before cleanup
    [freed] = [c for c in _proxy_calls() if c["path"] == "api/free"]
    assert freed["instance_id"] == smoked["instance_id"] and freed["method"] == "POST"
    assert freed["body"] == {"unload_models": True, "free_memory": True}


def test_history_holds_only_ids_states_and_times(run_cli: Any, smoked: dict[str, Any]) -> None:
    keys = {"request_id", "deployment_id", "deployment", "source", "api", "submitted_at", "updated_at", "status",
            "outcome", "instance_id", "finished_at"}
    lines = _history()
    assert lines and all(set(line) == keys for line in lines)
    raw = Path(os.environ["COMFYOPS_HISTORY"]).read_text()
    assert "lighthouse" not in raw and "http" not in raw  # no overrides, no output URLs


def test_requests_of_a_deployment_by_name_or_id_and_did_you_mean(run_cli: Any, smoked: dict[str, Any]) -> None:
    by_name = _requests_json(run_cli, "t2i")["requests"]
    by_id = _requests_json(run_cli, smoked["deployment_id"])["requests"]
    assert [r["request_id"] for r in by_name] == [r["request_id"] for r in by_id] == [smoked["request_id"]]
    wrong = run_cli("--emulator", "requests", "t2j")
    assert wrong.code == 1 and "no live deployment has the name or id 't2j'" in wrong.err
    assert "did you mean 't2i'?" in wrong.err


def test_free_defaults_to_the_warm_instance_from_the_history(run_cli: Any, smoked: dict[str, Any]) -> None:
    result = run_cli("--emulator", "free", "t2i", "--unload-models")
    assert result.code == 0, result
    assert result.out == f"Freed instance {smoked['instance_id']} of t2i: models unloaded.\n"
    assert f"Using instance {smoked['instance_id']} from request {smoked['request_id']}" in result.err
    last = _proxy_calls()[-1]
    assert (last["path"], last["instance_id"], last["body"]) == ("api/free", smoked["instance_id"],
                                                                {"unload_models": True})
    both = run_cli("--emulator", "free", smoked["deployment_id"], smoked["instance_id"])
    assert both.code == 0 and "models unloaded, memory freed" in both.out
    assert _proxy_calls()[-1]["body"] == {"unload_models": True, "free_memory": True}


def test_free_without_a_warm_instance_says_how_to_get_one(run_cli: Any, manifests: Any) -> None:
    repo = manifests(deployment_yaml("cold"))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    result = run_cli("--emulator", "free", "cold")
    assert result.code == 1
    assert "no instance of cold in the request history may still be warm" in result.err
    assert "comfyops --emulator run cold" in result.err and not _proxy_calls()


def test_proxy_routes_on_a_live_instance(run_cli: Any, smoked: dict[str, Any]) -> None:
    iid = smoked["instance_id"]
    info = run_cli("--emulator", "proxy", "t2i", iid, "object_info")
    assert info.code == 0 and json.loads(info.out)["KSampler"]["input"]["required"]["steps"][0] == "INT"
    stats = run_cli("--emulator", "proxy", "t2i", iid, "system_stats", "--method", "GET")
    assert stats.code == 0 and json.loads(stats.out)["devices"][0]["type"] == "cuda"
    free = run_cli("--emulator", "proxy", "t2i", iid, "api/free", "--data", '{"free_memory": true}')
    assert (free.code, free.out, free.err) == (0, "", "HTTP 200 (no body)\n")
    missing = run_cli("--emulator", "proxy", "t2i", iid, "no/such/route")
    assert missing.code == 1 and "has no route 'no/such/route' (404: Not Found)" in missing.err


def test_proxy_to_an_expired_instance_prints_the_lifecycle(run_cli: Any, manifests: Any) -> None:
    repo = manifests(deployment_yaml("brief", extra="keep_warm_duration_in_seconds: 0\n" + SMOKE))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    assert run_cli("--emulator", "run", "brief", "-f", str(repo), "--wait", "--out", str(repo / "out")).code == 0
    [entry] = _requests_json(run_cli)["requests"]
    assert entry["source"] == "run" and entry["outcome"] == "succeeded" and entry["instance_id"]
    time.sleep(0.3)  # keep-warm 0: the instance stops when its request ends
    result = run_cli("--emulator", "proxy", "brief", entry["instance_id"], "system_stats")
    assert result.code == 1 and result.out == ""
    assert f"error: instance {entry['instance_id']} of brief is not running" in result.err
    assert "Instance ids are valid only while their instance runs" in result.err
    assert "comfyops --emulator run brief" in result.err
    free = run_cli("--emulator", "free", "brief")
    assert free.code == 1 and "may still be warm" in free.err


def test_smoke_free_failure_is_a_warning_not_a_failure(run_cli: Any, manifests: Any) -> None:
    repo = manifests(deployment_yaml("t2i", extra=SMOKE))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    _state().configure(rate_limit_enabled=False)
    with _state().transaction() as data:
        data["faults"] = {"error_rate": 1.0, "path_prefix": "/prod/v2/deployments/", "methods": ["POST"]}
    result = run_cli("--emulator", "smoke", "-f", str(repo), "--format", "json")
    report = json.loads(result.out)
    assert result.code == 0 and report["ok"] is True, result
    [entry] = report["results"]
    assert entry["status"] == "pass" and entry["free_memory"] == ""
    assert entry["warnings"][0].startswith(f"free_memory_after: could not free instance {entry['instance_id']}")


def test_request_delete_while_running_explains_the_409(run_cli: Any, manifests: Any, state_dir: Path) -> None:
    repo = manifests(deployment_yaml("slow"))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    EmulatorState(state_dir).configure(run_seconds=600)
    submitted = run_cli("--emulator", "run", "slow", "-f", str(repo), "--format", "json")
    rid = json.loads(submitted.out)["request_id"]
    status = run_cli("--emulator", "request", "status", "slow", rid)
    assert status.code == 0 and status.out.startswith(f"Request {rid} of slow: in_progress on instance instance-")
    conflict = run_cli("--emulator", "request", "delete", "slow", rid)
    assert conflict.code == 1
    assert f"error: request {rid} of slow is still running" in conflict.err and "409" in conflict.err
    assert f"Cancel it first: comfyops --emulator request cancel slow {rid}" in conflict.err
    cancelled = run_cli("--emulator", "request", "cancel", "slow", rid, "--format", "json")
    assert cancelled.code == 0 and json.loads(cancelled.out)["outcome"] == "cancelled"
    again = run_cli("--emulator", "request", "cancel", "slow", rid)
    assert again.code == 0 and "not cancellable" in again.out
    deleted = run_cli("--emulator", "request", "delete", "slow", rid)
    assert deleted.code == 0 and f"Request {rid} of slow: deleted 0 stored objects" in deleted.out
    [entry] = _requests_json(run_cli, "slow")["requests"]
    assert (entry["status"], entry["outcome"]) == ("cancelled", "cancelled")


def test_request_result_and_delete_on_a_finished_request(run_cli: Any, manifests: Any, tmp_path: Path) -> None:
    repo = manifests(deployment_yaml("t2i"))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    rid = json.loads(run_cli("--emulator", "run", "t2i", "-f", str(repo), "--format", "json").out)["request_id"]
    time.sleep(0.3)
    refreshed = _requests_json(run_cli, "--refresh")
    assert refreshed["refreshed"] is True
    [entry] = refreshed["requests"]
    assert (entry["status"], entry["outcome"]) == ("completed", "succeeded") and entry["instance_id"]
    result = run_cli("--emulator", "request", "result", "t2i", rid, "--out", str(tmp_path / "o"))
    assert result.code == 0 and f"Request {rid} of t2i: succeeded" in result.out
    assert "output 9 images: ComfyUI_9_00001_.png" in result.out and "http" not in result.out
    assert (tmp_path / "o" / "ComfyUI_9_00001_.png").read_bytes().startswith(b"\x89PNG")
    as_json = json.loads(run_cli("--emulator", "request", "result", "t2i", rid, "--format", "json").out)
    assert as_json["outputs"]["9"]["images"][0] == {"filename": "ComfyUI_9_00001_.png", "subfolder": "",
                                                    "type": "output"}
    deleted = run_cli("--emulator", "request", "delete", "t2i", rid)
    assert deleted.code == 0 and deleted.out == f"Request {rid} of t2i: deleted 1 stored object.\n"
    repeat = run_cli("--emulator", "request", "delete", "t2i", rid, "--format", "json")
    assert json.loads(repeat.out)["deleted_objects"] == 0
    unknown = run_cli("--emulator", "request", "status", "t2i", "no-such-request")
    assert unknown.code == 1 and "no request no-such-request on deployment t2i" in unknown.err


def test_apply_smoke_records_its_requests_too(run_cli: Any, manifests: Any) -> None:
    repo = manifests(deployment_yaml("t2i", extra=SMOKE))
    result = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve", "--smoke")
    assert result.code == 0, result
    [entry] = _requests_json(run_cli)["requests"]
    assert (entry["deployment"], entry["source"], entry["outcome"]) == ("t2i", "smoke", "succeeded")
    assert [c["instance_id"] for c in _proxy_calls()] == [entry["instance_id"]]


def test_requests_elsewhere_are_not_listed_here(run_cli: Any, smoked: dict[str, Any], monkeypatch: Any) -> None:
    monkeypatch.setenv("RUNCOMFY_API_TOKEN", "rc-test-token")
    result = run_cli("--api-url", "http://127.0.0.1:9", "requests")
    assert result.code == 0 and result.out.startswith("No requests in the history")
    assert "(1 request sent to other APIs not shown)" in result.err


def test_free_after_run_without_wait_learns_the_instance_first(run_cli: Any, manifests: Any, state_dir: Path) -> None:
    repo = manifests(deployment_yaml("slow"))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    EmulatorState(state_dir).configure(run_seconds=600)
    assert run_cli("--emulator", "run", "slow", "-f", str(repo)).code == 0
    [entry] = _requests_json(run_cli)["requests"]
    assert entry["instance_id"] is None  # a run without --wait never polled
    result = run_cli("--emulator", "free", "slow")
    assert result.code == 0, result
    [refreshed] = _requests_json(run_cli)["requests"]
    assert refreshed["status"] == "in_progress" and refreshed["instance_id"]
    assert result.out == f"Freed instance {refreshed['instance_id']} of slow: models unloaded, memory freed.\n"
