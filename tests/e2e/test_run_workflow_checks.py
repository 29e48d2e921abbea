"""`comfyops --emulator run --set` follows validate's workflow rules: file lists and required inputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator.state import EmulatorState
from tests.e2e.test_run_cli import MANIFESTS, WORKFLOW


@pytest.fixture
def repo(write_files: Any, run_cli: Any, state: EmulatorState) -> Path:
    root: Path = write_files({"manifests.yaml": MANIFESTS})
    shutil.copy(WORKFLOW, root / "wf.json")
    assert run_cli("--emulator", "apply", "-f", str(root), "--auto-approve").code == 0
    return root


def _requests(state: EmulatorState) -> list[dict[str, Any]]:
    with state.read() as data:
        return list(data["requests"].values())


CATALOGUE = WORKFLOW.parents[1] / "object_info" / "comfyui-0.3.64-core.trimmed.json"


def _catalogue(models: list[str]) -> dict[str, Any]:
    catalogue: dict[str, Any] = json.loads(CATALOGUE.read_text())
    catalogue["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0] = models
    return catalogue


@pytest.fixture
def own_object_info(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The deployment's object_info, twice: beside wf.json with a provenance record (as import writes it),
    and served at its object_info_url; run reads one or the other, and both must give the same verdicts."""
    from reconciler.runcomfy.client import RunComfyClient
    from reconciler.workflow.provenance import source_record

    def install(repo: Path, models: list[str]) -> None:
        catalogue = _catalogue(models)
        (repo / "wf.object_info.json").write_text(json.dumps(catalogue))
        record = source_record(workflow_id="wf-1", workflow_version="v1")
        (repo / "wf.object_info.source.json").write_text(json.dumps(record))
        monkeypatch.setattr(RunComfyClient, "fetch_object_info", lambda self, url: catalogue)

    return install


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("SD_XL_base_1.0.safetensors", "did you mean 'sd_xl_base_1.0.safetensors'?"),
        ("0", "0 is not one of the choices: choices are names, not positions"),
        ("sd_xl_turbo.safetensors", "is not among the files the deployment's ComfyUI lists for this input"),
    ],
)
def test_run_set_follows_the_file_list_rules(
    run_cli: Any, repo: Path, state: EmulatorState, own_object_info: Any, value: str, text: str
) -> None:
    own_object_info(repo, ["sd_xl_base_1.0.safetensors"])
    result = run_cli("--emulator", "run", "t2i", "-f", str(repo), "--set", f"4.ckpt_name={value}")
    assert result.code == 1, result
    assert '--set: overrides."4".inputs.ckpt_name: node "4" (CheckpointLoaderSimple' in result.err
    assert text in result.err and "nothing was submitted" in result.err
    assert _requests(state) == []
    ok = run_cli("--emulator", "run", "t2i", "-f", str(repo), "--set", "4.ckpt_name=sd_xl_base_1.0.safetensors")
    assert ok.code == 0, ok
    assert "warning" not in ok.err


def test_run_refuses_a_workflow_missing_a_required_input_unless_set_supplies_it(
    run_cli: Any, write_files: Any, state: EmulatorState, own_object_info: Any
) -> None:
    smoke = '  workflow_file: wf.json\n  smoke:\n    overrides:\n      "3": {inputs: {denoise: 1.0}}\n'
    repo: Path = write_files({"manifests.yaml": MANIFESTS.replace("  workflow_file: wf.json\n", smoke)})
    graph = json.loads(WORKFLOW.read_text())
    del graph["3"]["inputs"]["denoise"]
    (repo / "wf.json").write_text(json.dumps(graph))
    own_object_info(repo, ["sd_xl_base_1.0.safetensors"])
    missing = 'node "3" (KSampler "KSampler"): required input "denoise" (FLOAT, default 1.0) is missing'
    # the smoke overrides supply it: valid, with a warning that requests without it are refused
    applied = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve")
    assert applied.code == 0, applied
    assert "a request that does not is refused" in applied.err
    refused = run_cli("--emulator", "run", "t2i", "-f", str(repo), "--set", "3.seed=5")
    assert refused.code == 1, refused
    assert missing in refused.err and "nothing was submitted" in refused.err
    assert _requests(state) == []
    supplied = run_cli("--emulator", "run", "t2i", "-f", str(repo), "--set", "3.seed=5", "--set", "3.denoise=1.0")
    assert missing not in supplied.err  # run's own check passes (the emulator then judges the request itself)


def test_a_workflow_missing_a_required_input_is_invalid_for_run(run_cli: Any, repo: Path, own_object_info: Any) -> None:
    own_object_info(repo, ["sd_xl_base_1.0.safetensors"])
    graph = json.loads((repo / "wf.json").read_text())
    del graph["3"]["inputs"]["denoise"]
    (repo / "wf.json").write_text(json.dumps(graph))
    invalid = run_cli("--emulator", "run", "t2i", "-f", str(repo), "--set", "3.denoise=1.0")
    assert invalid.code == 1 and "manifests are invalid" in invalid.err
    assert 'wf.json: "3".inputs.denoise: node "3" (KSampler "KSampler"): required input "denoise"' in invalid.err


def test_run_set_judges_a_link_as_comfyui_runs_it(
    run_cli: Any, repo: Path, state: EmulatorState, own_object_info: Any
) -> None:
    own_object_info(repo, ["sd_xl_base_1.0.safetensors"])
    bad = run_cli("--emulator", "run", "t2i", "-f", str(repo), "--set", '3.positive=["4", 1]')
    assert bad.code == 1, bad
    assert (
        '--set: overrides."3".inputs.positive: node "3" (KSampler "KSampler"): input "positive": output 1 of node "4" '
        '(CheckpointLoaderSimple "Load Checkpoint (SDXL base)") is CLIP, but this input takes CONDITIONING'
    ) in bad.err
    assert _requests(state) == []
    swapped = run_cli("--emulator", "run", "t2i", "-f", str(repo), "--set", '3.positive=["7", 0]',
                      "--set", '3.negative=["6", 0]')  # fmt: skip
    assert swapped.code == 0, swapped
    (request,) = _requests(state)
    assert (request["graph"]["3"]["inputs"]["positive"], request["graph"]["3"]["inputs"]["negative"]) == (
        ["7", 0], ["6", 0])
