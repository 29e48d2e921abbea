"""`comfyops --emulator apply` then `comfyops --emulator smoke` over real manifests, JUnit parsed."""

from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator.state import EmulatorState

WORKFLOW = Path(__file__).parents[1] / "data" / "workflows" / "txt2img.json"
MANIFESTS = """
apiVersion: comfyops/v1
kind: Settings
spec:
  rate_limit: {requests_per_second: 50, burst: 50}
---
apiVersion: comfyops/v1
kind: OverridePreset
metadata: {name: small}
spec:
  overrides:
    "5": {inputs: {width: 256, height: 128}}
    "6": {inputs: {text: "a lighthouse"}}
---
apiVersion: comfyops/v1
kind: Deployment
metadata: {name: t2i-good}
spec:
  workflow_id: wf-1
  workflow_version: v1
  workflow_file: wf.json
  smoke:
    preset: small
    extra_data: {api_key_comfy_org: "${COMFY_KEY}"}
    expect:
      outputs:
        "9": {images: {count: 1, format: png, min_width: 256, max_height: 128}}
---
apiVersion: comfyops/v1
kind: Deployment
metadata: {name: t2i-bad}
spec:
  workflow_id: wf-1
  workflow_version: v1
  workflow_file: wf.json
  smoke:
    preset: small
    expect:
      outputs:
        "9": {images: {format: jpeg}}
---
apiVersion: comfyops/v1
kind: Deployment
metadata: {name: no-smoke}
spec:
  workflow_id: wf-1
  workflow_version: v1
"""


@pytest.fixture
def repo(write_files: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = EmulatorState(Path(os.environ["COMFYOPS_EMULATOR_STATE"]))
    state.configure(rate_limit_enabled=False, queue_seconds=0, run_seconds=0.2)
    monkeypatch.setenv("COMFY_KEY", "comfyui-very-secret-0042")
    root: Path = write_files({"manifests.yaml": MANIFESTS})
    shutil.copy(WORKFLOW, root / "wf.json")
    return root


def test_apply_then_smoke_reports_pass_and_fail_in_junit(run_cli: Any, repo: Path) -> None:
    applied = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve")
    assert applied.code == 0, applied
    junit = repo / "out" / "smoke.xml"
    result = run_cli("--emulator", "smoke", "-f", str(repo), "--junit", str(junit))
    assert result.code == 1, result
    assert "PASS  t2i-good" in result.out and "FAIL  t2i-bad" in result.out
    assert "Smoke tests: 1 passed, 1 failed, 0 errored, 0 skipped" in result.out
    assert "comfyui-very-secret-0042" not in result.out + result.err + junit.read_text()
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "2" and suite.get("failures") == "1"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert cases["t2i-good"].find("failure") is None
    failure = cases["t2i-bad"].find("failure")
    assert failure is not None and failure.get("message") == (
        'outputs."9".images.format: item 1 (ComfyUI_9_00001_.png) is png, expected jpeg'
    )


def test_smoke_targets_json_and_markdown(run_cli: Any, repo: Path) -> None:
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    result = run_cli("--emulator", "smoke", "-f", str(repo), "--target", "t2i-g*", "--target", "no-smoke",
                     "--format", "json", "--concurrency", "2")
    assert result.code == 0, result
    data = json.loads(result.out)
    assert {r["name"]: r["status"] for r in data["results"]} == {"t2i-good": "pass", "no-smoke": "skipped"}
    md = run_cli("--emulator", "smoke", "-f", str(repo), "--target", "t2i-bad", "--format", "markdown")
    assert md.code == 1 and "| `t2i-bad` | ❌ fail |" in md.out


def test_smoke_before_apply_skips_everything_and_fails_unless_allowed(run_cli: Any, repo: Path) -> None:
    result = run_cli("--emulator", "smoke", "-f", str(repo))
    assert result.code == 1, result
    assert "SKIP  t2i-good  not deployed: no live deployment named 't2i-good'" in result.out
    assert "error: no smoke test ran: all 2 were skipped" in result.err
    assert "--allow-skipped" in result.err
    allowed = run_cli("--emulator", "smoke", "-f", str(repo), "--allow-skipped", "--format", "json")
    assert allowed.code == 0, allowed
    assert json.loads(allowed.out)["summary"]["skipped"] == 2


def test_unknown_target_is_an_error(run_cli: Any, repo: Path) -> None:
    result = run_cli("--emulator", "smoke", "-f", str(repo), "--target", "nothing-*")
    assert result.code == 1 and "--target: 'nothing-*' matches no declared deployment" in result.err


def test_a_target_matching_nothing_is_an_error_even_beside_one_that_matches(run_cli: Any, repo: Path) -> None:
    result = run_cli("--emulator", "smoke", "-f", str(repo), "--target", "t2i-good", "--target", "t2i-goood")
    assert result.code == 1, result
    assert "--target: 't2i-goood' matches no declared deployment (hint: did you mean 't2i-good'?)" in result.err
    assert "error: cannot smoke-test: 1 problem" in result.err
