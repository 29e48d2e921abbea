"""The live check `plan` makes: the deployed graph and the deployment's own object_info, same rules as validate."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reconciler.manifest.desired import DesiredState
from reconciler.manifest.load import load_manifests
from reconciler.smoke.remote import check_against_live

DATA = Path(__file__).resolve().parents[2] / "data"
CATALOGUE = json.loads((DATA / "object_info" / "comfyui-0.3.64-core.trimmed.json").read_text())
# the deployment's machine has the models its workflows name (an empty list would refuse them: test_prompt.py)
CATALOGUE["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0] = [
    "sd_xl_base_1.0.safetensors", "ltx-video-2b-v0.9.1.safetensors"]
CATALOGUE["CLIPLoader"]["input"]["required"]["clip_name"][0] = ["t5xxl_fp16.safetensors"]
CATALOGUE["LoadImage"]["input"]["required"]["image"][0] = ["example.png", "island.jpg"]
TXT2IMG = json.loads((DATA / "workflows" / "txt2img.json").read_text())
LTXV = json.loads((DATA / "workflows" / "SaladTechnologies__comfyui-api__ltxv_image_to_video.json").read_text())
URL = "https://objects.example.com/object_info.json?X-Amz-Signature=secret"


@dataclass
class Payload:
    workflow_api_json: dict[str, Any] | None
    object_info_url: str | None = URL
    fields: dict[str, Any] = field(default_factory=lambda: {"workflow_id": "wf-1", "workflow_version": "v1"})


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # manifest paths are shown relative to the working directory


def desired(tmp_path: Path, smoke: str = "", *, state: str = "present") -> DesiredState:
    text = textwrap.dedent("""
        apiVersion: comfyops/v1
        kind: Deployment
        metadata: {name: live}
        spec:
          workflow_id: wf-1
          workflow_version: v1
        """).lstrip()
    text += f"  state: {state}\n"
    if smoke:
        text += "  smoke:\n    overrides:\n" + textwrap.indent(textwrap.dedent(smoke).strip(), "      ") + "\n"
    (tmp_path / "m.yaml").write_text(text)
    result = load_manifests([tmp_path / "m.yaml"], env={})
    assert result.state is not None, [p.format() for p in result.problems]
    return result.state


def fetch(url: str) -> dict[str, Any]:
    assert url == URL
    return CATALOGUE


def test_the_deployments_own_list_makes_a_missing_model_an_error(tmp_path: Path) -> None:
    state = desired(tmp_path, '"4": {inputs: {ckpt_name: sd_xl_turbo.safetensors}}')
    (diag,) = check_against_live(state, {"live": Payload(TXT2IMG)}, fetch_object_info=fetch, cache=tmp_path / "c")
    assert diag.is_error
    assert diag.format().startswith('m.yaml:10:22: overrides."4".inputs.ckpt_name: node "4"')
    assert "is not among the files the deployment's ComfyUI lists" in diag.message
    again = check_against_live(state, {"live": Payload(TXT2IMG)}, fetch_object_info=_never, cache=tmp_path / "c")
    assert [d.format() for d in again] == [diag.format()]  # the cached copy is the deployment's own too
    assert URL not in json.dumps([d.format() for d in again])


def test_a_listed_model_and_a_near_miss(tmp_path: Path) -> None:
    ok = desired(tmp_path, '"4": {inputs: {ckpt_name: sd_xl_base_1.0.safetensors}}')
    assert check_against_live(ok, {"live": Payload(TXT2IMG)}, fetch_object_info=fetch, cache=tmp_path) == []
    near = desired(tmp_path, '"4": {inputs: {ckpt_name: sd_xl_base_1.0.safetensor}}')
    (diag,) = check_against_live(near, {"live": Payload(TXT2IMG)}, fetch_object_info=fetch, cache=tmp_path)
    assert diag.hint == "did you mean 'sd_xl_base_1.0.safetensors'?"


def test_a_deployed_graph_missing_a_required_input_is_an_error_without_smoke_overrides(tmp_path: Path) -> None:
    state = desired(tmp_path)
    (diag,) = check_against_live(state, {"live": Payload(LTXV)}, fetch_object_info=fetch, cache=tmp_path)
    assert diag.is_error
    assert diag.format() == (
        "m.yaml:6:3: spec.workflow_version: deployed workflow of 'live': node \"77\" "
        '(LTXVImgToVideo "LTXVImgToVideo"): required input "strength" (FLOAT, default 1.0) is missing; ComfyUI '
        "refuses the prompt (hint: re-export the workflow from the deployment's ComfyUI (Export (API)))"
    )
    supplied = desired(tmp_path, '"77": {inputs: {strength: 1.0}}')
    assert check_against_live(supplied, {"live": Payload(LTXV)}, fetch_object_info=fetch, cache=tmp_path) == []


def test_without_an_object_info_url_and_overrides_nothing_is_fetched(tmp_path: Path) -> None:
    state = desired(tmp_path)
    payload = Payload(LTXV, object_info_url=None)
    assert check_against_live(state, {"live": payload}, fetch_object_info=_never, cache=tmp_path) == []


def test_a_deployment_to_delete_is_not_checked(tmp_path: Path) -> None:
    state = desired(tmp_path, state="absent")
    assert check_against_live(state, {"live": Payload(LTXV)}, fetch_object_info=_never, cache=tmp_path) == []


def _never(url: str) -> dict[str, Any]:
    raise AssertionError("not fetched")


def test_an_unknown_node_in_the_deployed_workflow_reads_as_english(tmp_path: Path) -> None:
    state = desired(tmp_path, '"999": {inputs: {seed: 1}}')
    problems = check_against_live(state, {"live": Payload(TXT2IMG)}, fetch_object_info=fetch, cache=tmp_path)
    (diag,) = [p for p in problems if "999" in p.message]
    assert 'node "999" is not in the deployed workflow of \'live\'' in diag.message
    assert "workflow deployed workflow" not in diag.message


def test_a_deployed_graph_comfyui_refuses_is_an_error_by_the_same_rules(tmp_path: Path) -> None:
    broken = json.loads(json.dumps(TXT2IMG))
    broken["6"]["inputs"]["clip"] = ["4", 2]  # the VAE output into a CLIP input
    (diag,) = check_against_live(desired(tmp_path), {"live": Payload(broken)}, fetch_object_info=fetch, cache=tmp_path)
    assert diag.format() == (
        "m.yaml:6:3: spec.workflow_version: deployed workflow of 'live': node \"6\" (CLIPTextEncode \"Positive "
        'Prompt"): input "clip": output 2 of node "4" (CheckpointLoaderSimple "Load Checkpoint (SDXL base)") is VAE, '
        "but this input takes CLIP (hint: output 1 of that node is CLIP: did you mean index 1?)"
    )
