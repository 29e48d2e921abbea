"""`comfyops validate` with a workflow_file and an object_info beside it: required inputs and file lists."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from reconciler.workflow.provenance import source_record

DATA = Path(__file__).parents[2] / "data"
CATALOGUE = DATA / "object_info" / "comfyui-0.3.64-core.trimmed.json"
LTXV = DATA / "workflows" / "SaladTechnologies__comfyui-api__ltxv_image_to_video.json"
TXT2IMG = DATA / "workflows" / "txt2img.json"
MODELS = ["sd_xl_base_1.0.safetensors", "flux1-schnell-fp8.safetensors"]
LTXV_MODEL = "ltx-video-2b-v0.9.1.safetensors"

DEPLOYMENT = """
apiVersion: comfyops/v1
kind: Deployment
metadata: {{name: demo}}
spec:
  workflow_id: wf-1
  workflow_version: v1
  workflow_file: wf/flow.json
{extra}"""
PRESET = """
apiVersion: comfyops/v1
kind: OverridePreset
metadata: {{name: p}}
spec:
  overrides:
{overrides}"""
SMOKE = "  smoke:\n    preset: p\n"


def repo_with(
    write_files: Any, workflow: Path, *, overrides: str = "", record: dict[str, Any] | None = None,
    models: list[str] = MODELS,
) -> Path:
    files = {"d.yaml": DEPLOYMENT.format(extra=SMOKE if overrides else "")}
    if overrides:
        files["p.yaml"] = PRESET.format(overrides=overrides)
    root: Path = write_files(files)
    (root / "wf").mkdir()
    shutil.copy(workflow, root / "wf" / "flow.json")
    catalogue = json.loads(CATALOGUE.read_text())
    catalogue["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0] = models
    (root / "wf" / "flow.object_info.json").write_text(json.dumps(catalogue))
    if record is not None:
        (root / "wf" / "flow.object_info.source.json").write_text(json.dumps(record))
    return root


def test_a_workflow_missing_a_required_input_is_invalid_without_any_override(write_files: Any, run_cli: Any) -> None:
    repo = repo_with(write_files, LTXV, models=[*MODELS, LTXV_MODEL])
    result = run_cli("validate", "-f", ".", cwd=repo)
    assert result.code == 1, result
    assert result.err.splitlines()[0] == (
        'wf/flow.json: "77".inputs.strength: node "77" (LTXVImgToVideo "LTXVImgToVideo"): required input '
        '"strength" (FLOAT, default 1.0) is missing; ComfyUI refuses the prompt (hint: re-export the workflow '
        "from the deployment's ComfyUI (Export (API)))"
    )


def test_smoke_overrides_that_supply_it_pass_with_a_warning(write_files: Any, run_cli: Any) -> None:
    repo = repo_with(write_files, LTXV, overrides='    "77": {inputs: {strength: 0.9}}\n', models=[*MODELS, LTXV_MODEL])
    result = run_cli("validate", "-f", ".", cwd=repo)
    assert result.code == 0, result
    (warning,) = [line for line in result.err.splitlines() if "warning:" in line]
    assert warning.startswith('wf/flow.json: "77".inputs.strength: warning: node "77"')
    assert "a request that does not is refused" in warning


def test_a_model_missing_from_a_hand_placed_list_is_a_warning(write_files: Any, run_cli: Any) -> None:
    repo = repo_with(write_files, TXT2IMG, overrides='    "4": {inputs: {ckpt_name: other.safetensors}}\n')
    result = run_cli("validate", "-f", ".", cwd=repo)
    assert result.code == 0, result
    assert "warning: " in result.err and "models differ per machine" in result.err


def test_a_model_missing_from_the_deployments_own_list_is_an_error(write_files: Any, run_cli: Any) -> None:
    record = source_record(deployment_name="demo", workflow_id="wf-1", workflow_version="v1")
    repo = repo_with(write_files, TXT2IMG, overrides='    "4": {inputs: {ckpt_name: other.safetensors}}\n',
                     record=record)  # fmt: skip
    result = run_cli("validate", "-f", ".", cwd=repo)
    assert result.code == 1, result
    assert result.err.splitlines()[0] == (
        'p.yaml:6:20: spec.overrides."4".inputs.ckpt_name: node "4" (CheckpointLoaderSimple "Load Checkpoint '
        '(SDXL base)"): input "ckpt_name": "other.safetensors" is not among the files the deployment\'s ComfyUI '
        "lists for this input (hint: listed: sd_xl_base_1.0.safetensors, flux1-schnell-fp8.safetensors)"
    )


def test_a_record_of_another_workflow_version_is_stale(write_files: Any, run_cli: Any) -> None:
    record = source_record(workflow_id="wf-1", workflow_version="v0")
    repo = repo_with(write_files, TXT2IMG, overrides='    "4": {inputs: {ckpt_name: other.safetensors}}\n',
                     record=record)  # fmt: skip
    result = run_cli("validate", "-f", ".", cwd=repo)
    assert result.code == 0, result
    assert (
        "wf/flow.object_info.json: warning: wf/flow.object_info.json was fetched for workflow wf-1 v0, not wf-1 v1;"
        in result.err
    )
    assert "models differ per machine" in result.err


def test_a_near_miss_is_an_error_whatever_the_list_came_from(write_files: Any, run_cli: Any) -> None:
    repo = repo_with(write_files, TXT2IMG, overrides='    "4": {inputs: {ckpt_name: SD_XL_base_1.0.safetensors}}\n')
    result = run_cli("validate", "-f", ".", cwd=repo)
    assert result.code == 1, result
    assert "(names are case-sensitive) (hint: did you mean 'sd_xl_base_1.0.safetensors'?)" in result.err


def test_the_readme_example(write_files: Any, run_cli: Any) -> None:
    """README "What validate checks" shows this run's output verbatim."""
    repo: Path = write_files({
        "deployments/ltxv.yaml": """
            apiVersion: comfyops/v1
            kind: Deployment
            metadata:
              name: ltxv
            spec:
              workflow_id: wf-ltxv
              workflow_version: v1
              workflow_file: ../workflows/ltxv.json
              smoke:
                overrides:
                  "44": {inputs: {ckpt_name: LTX-Video-2b-v0.9.1.safetensors}}
            """,
    })  # fmt: skip
    (repo / "workflows").mkdir(exist_ok=True)
    shutil.copy(LTXV, repo / "workflows" / "ltxv.json")
    catalogue = json.loads(CATALOGUE.read_text())
    catalogue["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0] = ["ltx-video-2b-v0.9.1.safetensors"]
    (repo / "workflows" / "ltxv.object_info.json").write_text(json.dumps(catalogue))
    result = run_cli("validate", "-f", "deployments", cwd=repo)
    assert result.code == 1
    readme = (Path(__file__).parents[3] / "README.md").read_text()
    block = readme.split("$ comfyops validate -f deployments\n", 1)[1].split("```", 1)[0]
    assert result.out + result.err == block


def test_valid_overrides_print_no_warning_whatever_the_list_came_from(write_files: Any, run_cli: Any) -> None:
    overrides = (
        '    "4": {inputs: {ckpt_name: flux1-schnell-fp8.safetensors}}\n'
        '    "3": {inputs: {seed: 7, steps: 20, cfg: 4.5, sampler_name: euler, denoise: 1.0}}\n'
    )
    for record in (None, source_record(workflow_id="wf-1", workflow_version="v1")):
        repo = repo_with(write_files, TXT2IMG, overrides=overrides, record=record)
        result = run_cli("validate", "-f", ".", cwd=repo)
        assert result.code == 0 and "warning" not in result.out + result.err, result
        shutil.rmtree(repo)


def broken(tmp: Path, change: Any) -> Path:
    data = json.loads(TXT2IMG.read_text())
    change(data)
    path = tmp / "broken.json"
    path.write_text(json.dumps(data))
    return path


def test_a_workflow_file_comfyui_refuses_is_invalid_even_without_object_info(
    write_files: Any, run_cli: Any, tmp_path: Path
) -> None:
    repo = repo_with(write_files, broken(tmp_path, lambda d: d["6"]["inputs"].__setitem__("clip", ["44", 1])))
    (repo / "wf" / "flow.object_info.json").unlink()
    result = run_cli("validate", "-f", ".", cwd=repo)
    assert result.code == 1, result
    assert result.err.splitlines()[0] == (
        'wf/flow.json: "6".inputs.clip: node "6" (CLIPTextEncode "Positive Prompt"): input "clip": ["44", 1] links '
        'to node "44", which is not in the workflow (hint: did you mean \'4\'? node ids are the keys of '
        'workflow_api.json; ids like "68:8" (subgraph nodes) are normal)'
    )


def test_a_class_the_object_info_lacks_is_a_warning_by_hand_and_an_error_from_the_deployment(
    write_files: Any, run_cli: Any, tmp_path: Path
) -> None:
    def add(data: dict[str, Any]) -> None:
        data["30"] = {"class_type": "FaceRestore", "inputs": {"image": ["8", 0]}, "_meta": {"title": "Faces"}}

    repo = repo_with(write_files, broken(tmp_path, add))
    result = run_cli("validate", "-f", ".", cwd=repo)
    assert result.code == 0, result
    assert "warning: node \"30\" (FaceRestore \"Faces\"): node class 'FaceRestore' is not in object_info" in result.err
    assert "(a warning, as the object_info is hand-placed, not the deployment's own)" in result.err
    shutil.rmtree(repo)
    record = source_record(workflow_id="wf-1", workflow_version="v1")
    repo = repo_with(write_files, broken(tmp_path, add), record=record)
    result = run_cli("validate", "-f", ".", cwd=repo)
    assert result.code == 1, result
    assert result.err.splitlines()[0] == (
        'wf/flow.json: "30".class_type: node "30" (FaceRestore "Faces"): node class \'FaceRestore\' is not in the '
        "deployment's object_info; ComfyUI refuses the whole prompt (hint: install the custom node on the "
        "deployment's machine, or remove the node)"
    )


def test_a_smoke_preset_repeating_the_nodes_own_links_is_valid(write_files: Any, run_cli: Any) -> None:
    overrides = '    "3": {inputs: {seed: 7, model: ["4", 0], positive: ["7", 0], negative: ["6", 0]}}\n'
    repo = repo_with(write_files, TXT2IMG, overrides=overrides)
    result = run_cli("validate", "-f", ".", cwd=repo)
    assert result.code == 0 and "warning" not in result.err, result


def test_a_model_the_workflow_names_missing_from_a_hand_placed_list_is_a_warning(
    write_files: Any, run_cli: Any
) -> None:
    repo = repo_with(write_files, LTXV, overrides='    "77": {inputs: {strength: 0.9}}\n')
    result = run_cli("validate", "-f", ".", cwd=repo)
    assert result.code == 0, result
    assert result.err.splitlines()[0] == (
        'wf/flow.json: "44".inputs.ckpt_name: warning: node "44" (CheckpointLoaderSimple "Load Checkpoint"): input '
        '"ckpt_name": "ltx-video-2b-v0.9.1.safetensors" is not in this machine\'s list; models differ per machine (a '
        "warning, as the object_info is hand-placed, not the deployment's own) (hint: make sure the deployment's "
        "machine has that file, or refresh the cached object_info)"
    )
