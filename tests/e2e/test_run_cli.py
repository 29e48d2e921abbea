"""`comfyops --emulator run`: preset + --set, validation before submit, --wait downloads real PNGs."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path
from typing import Any

import click
import pytest

from reconciler.cli.run import parse_set
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
metadata: {name: base}
spec:
  overrides:
    "5": {inputs: {width: 320, height: 192}}
---
apiVersion: comfyops/v1
kind: OverridePreset
metadata: {name: P}
spec:
  extends: [base]
  overrides:
    "6": {inputs: {text: "a red fox"}}
---
apiVersion: comfyops/v1
kind: Deployment
metadata: {name: t2i}
spec:
  workflow_id: wf-1
  workflow_version: v1
  workflow_file: wf.json
"""


@pytest.fixture
def repo(write_files: Any, run_cli: Any, state: EmulatorState) -> Path:
    root: Path = write_files({"manifests.yaml": MANIFESTS})
    shutil.copy(WORKFLOW, root / "wf.json")
    assert run_cli("--emulator", "apply", "-f", str(root), "--auto-approve").code == 0
    return root


def _requests(state: EmulatorState) -> list[dict[str, Any]]:
    with state.read() as data:
        return list(data["requests"].values())


def test_run_wait_downloads_real_png_bytes(run_cli: Any, repo: Path, tmp_path: Path, state: EmulatorState) -> None:
    out = tmp_path / "out"
    result = run_cli("--emulator", "run", "t2i", "-f", str(repo), "--preset", "P", "--set", "3.seed=1",
                     "--wait", "--out", str(out))
    assert result.code == 0, result
    png = out / "ComfyUI_9_00001_.png"
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and struct.unpack(">II", data[16:24]) == (320, 192)
    assert str(png) in result.out and "succeeded" in result.out
    [request] = _requests(state)
    inputs = {node: request["graph"][node]["inputs"] for node in ("3", "5", "6")}
    assert (inputs["3"]["seed"], inputs["5"]["width"], inputs["6"]["text"]) == (1, 320, "a red fox")


def test_run_json_without_wait_prints_the_request_id(run_cli: Any, repo: Path, state: EmulatorState) -> None:
    result = run_cli("--emulator", "run", "t2i", "-f", str(repo), "--format", "json")
    assert result.code == 0, result
    data = json.loads(result.out)
    assert data["status"] == "submitted" and data["deployment"] == "t2i"
    assert [r["id"] for r in _requests(state)] == [data["request_id"]]


def test_run_json_with_wait_lists_files_and_accepts_a_live_id(
    run_cli: Any, repo: Path, tmp_path: Path, state: EmulatorState
) -> None:
    with state.read() as snapshot:
        [live_id] = list(snapshot["deployments"])
    result = run_cli("--emulator", "run", live_id, "-f", str(repo), "--wait", "--out", str(tmp_path / "o"),
                     "--format", "json")
    assert result.code == 0, result
    data = json.loads(result.out)
    assert data["status"] == "succeeded" and data["files"] == [str(tmp_path / "o" / "ComfyUI_9_00001_.png")]


def test_invalid_overrides_are_reported_and_nothing_is_submitted(
    run_cli: Any, repo: Path, state: EmulatorState
) -> None:
    result = run_cli("--emulator", "run", "t2i", "-f", str(repo), "--set", "3.nope=1", "--set", "9.images=2")
    assert result.code == 1
    assert '--set: overrides."3".inputs.nope: node "3" (KSampler "KSampler")' in result.err
    assert "nothing was submitted" in result.err
    assert _requests(state) == []


def test_unknown_preset_and_unknown_deployment(run_cli: Any, repo: Path) -> None:
    preset = run_cli("--emulator", "run", "t2i", "-f", str(repo), "--preset", "p")
    assert preset.code == 1 and "preset 'p' does not exist" in preset.err
    missing = run_cli("--emulator", "run", "nope", "-f", str(repo))
    assert missing.code == 1 and "no deployment 'nope'" in missing.err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.seed=1", ("3", "seed", 1)),
        ("68:8.text=hello world", ("68:8", "text", "hello world")),
        ("a.b.cfg=7.5", ("a.b", "cfg", 7.5)),
        ('6.text="quoted"', ("6", "text", "quoted")),
        ("6.flag=true", ("6", "flag", True)),
        ("6.seed=18446744073709551615", ("6", "seed", 18446744073709551615)),
        ("6.text=", ("6", "text", "")),
    ],
)
def test_parse_set(text: str, expected: tuple[str, str, Any]) -> None:
    assert parse_set(text) == expected


@pytest.mark.parametrize("text", ["seed=1", "3.seed", ".seed=1", "3.=1"])
def test_parse_set_refuses_malformed_values(text: str) -> None:
    with pytest.raises(click.BadParameter):
        parse_set(text)


def test_set_values_are_checked_against_the_deployed_object_info(
    run_cli: Any, repo: Path, state: EmulatorState
) -> None:
    result = run_cli("--emulator", "run", "t2i", "-f", str(repo), "--set", "3.seed=abc")
    assert result.code == 1, result
    assert '--set: overrides."3".inputs.seed' in result.err and "nothing was submitted" in result.err
    assert _requests(state) == []


def test_set_values_are_checked_against_the_deployed_graph_without_a_workflow_file(
    run_cli: Any, repo: Path, write_files: Any, tmp_path: Path, state: EmulatorState
) -> None:
    bare = write_files({"m.yaml": MANIFESTS.replace("  workflow_file: wf.json\n", "")}, root=tmp_path / "bare")
    result = run_cli("--emulator", "run", "t2i", "-f", str(bare), "--set", "3.nope=1", "--set", "3.seed=abc")
    assert result.code == 1, result
    assert '--set: overrides."3".inputs.nope: node "3" (KSampler "KSampler")' in result.err
    assert '--set: overrides."3".inputs.seed' in result.err
    assert _requests(state) == []
    fine = run_cli("--emulator", "run", "t2i", "-f", str(bare), "--set", "3.seed=7")
    assert fine.code == 0, fine


def test_run_wait_writes_outputs_under_comfyops_outputs_and_says_where(
    run_cli: Any, repo: Path, tmp_path: Path, state: EmulatorState
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    result = run_cli("--emulator", "run", "t2i", "-f", str(repo), "--wait", cwd=work)
    assert result.code == 0, result
    [request] = _requests(state)
    folder = Path(".comfyops") / "outputs" / request["id"]
    assert (work / folder / "ComfyUI_9_00001_.png").is_file()
    assert f"Outputs saved in {folder}/" in result.out
    assert not (work / "outputs").exists()


def test_run_without_a_preset_sends_the_empty_overrides_object(
    run_cli: Any, repo: Path, state: EmulatorState
) -> None:
    """No preset, no --set: the body still carries ``overrides: {}`` (RunComfy refuses it otherwise)."""
    result = run_cli("--emulator", "run", "t2i", "-f", str(repo), "--format", "json")
    assert result.code == 0, result
    [request] = _requests(state)
    assert request["graph"]["6"]["inputs"]["text"] == json.loads(WORKFLOW.read_text())["6"]["inputs"]["text"]
