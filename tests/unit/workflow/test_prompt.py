"""The workflow file itself, checked as ComfyUI 0.3.64's ``validate_prompt`` checks a prompt: one case per rule."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from reconciler.diagnostics import Location, Severity
from reconciler.workflow import ObjectInfo, load_object_info_file, load_workflow_file, parse_workflow
from reconciler.workflow.links import types_match
from reconciler.workflow.prompt import apply_overrides, validate_workflow
from reconciler.workflow.provenance import ObjectInfoSource

DATA = Path(__file__).resolve().parents[2] / "data"
SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures"
BASE: dict[str, Any] = json.loads((DATA / "workflows" / "txt2img.json").read_text())
REEXPORT = "re-export the workflow from the deployment's ComfyUI (Export (API))"
LOADER = 'node "4" (CheckpointLoaderSimple "Load Checkpoint (SDXL base)")'
POSITIVE = 'node "6" (CLIPTextEncode "Positive Prompt")'
SAMPLER = 'node "3" (KSampler "KSampler")'


@pytest.fixture(scope="module")
def core() -> ObjectInfo:
    info, _ = load_object_info_file(DATA / "object_info" / "comfyui-0.3.64-core.trimmed.json")
    assert info is not None
    return info


@pytest.fixture(scope="module")
def own(core: ObjectInfo) -> ObjectInfo:
    """The deployment's own catalogue, whose machine has the models txt2img.json names."""
    classes = dict(core.classes)
    loader = classes["CheckpointLoaderSimple"]
    spec = replace(loader.inputs["ckpt_name"], options=("sd_xl_base_1.0.safetensors",))
    classes["CheckpointLoaderSimple"] = replace(loader, inputs={**loader.inputs, "ckpt_name": spec})
    return replace(core, classes=classes, provenance=ObjectInfoSource("deployment"))


def edited(change: Callable[[dict[str, Any]], None]) -> Any:
    data = copy.deepcopy(BASE)
    change(data)
    return parse_workflow(data, source="wf.json")


def setting(node: str, name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda data: data[node]["inputs"].__setitem__(name, value)


CASES: list[tuple[str, Callable[[dict[str, Any]], None], list[str]]] = [
    ("link to a missing node", setting("6", "clip", ["99", 1]), [
        f'wf.json: "6".inputs.clip: {POSITIVE}: input "clip": ["99", 1] links to node "99", which is not in the '
        "workflow (hint: did you mean '9'? node ids are the keys of workflow_api.json; ids like \"68:8\" (subgraph "
        "nodes) are normal)"]),
    ("output index past the end", setting("6", "clip", ["4", 5]), [
        f'wf.json: "6".inputs.clip: {POSITIVE}: input "clip": ["4", 5] links to output 5 of {LOADER}, which has '
        f"only 3 outputs (0 MODEL, 1 CLIP, 2 VAE) (hint: {REEXPORT})"]),
    ("index written as a string", setting("6", "clip", ["4", "1"]), [
        f'wf.json: "6".inputs.clip: {POSITIVE}: input "clip": the output index "1" of ["4", "1"] is not an integer '
        "(hint: write 1 without quotes)"]),
    ("index written as a float", setting("6", "clip", ["4", 1.0]), [
        f'wf.json: "6".inputs.clip: {POSITIVE}: input "clip": the output index 1.0 of ["4", 1.0] is not an integer '
        "(hint: write 1 without a decimal point)"]),
    ("negative index", setting("6", "clip", ["4", -1]), [
        f'wf.json: "6".inputs.clip: {POSITIVE}: input "clip": the output index -1 of ["4", -1] is negative '
        "(hint: outputs are counted from 0)"]),
    ("node id not a string", setting("6", "clip", [4, 1]), [
        f'wf.json: "6".inputs.clip: {POSITIVE}: input "clip": [4, 1] links to node 4, but node ids are strings '
        '(hint: write ["4", 1])']),
    ("link of three items", setting("6", "clip", ["4", 1, 0]), [
        f'wf.json: "6".inputs.clip: {POSITIVE}: input "clip": ["4", 1, 0] is not a link: a link is a two-item list '
        '[node id, output index] (hint: ComfyUI reads a list as a link; to pass a list as a value, wrap it: '
        '{"__value__": [...]})']),
    ("type mismatch", setting("6", "clip", ["8", 0]), [
        f'wf.json: "6".inputs.clip: {POSITIVE}: input "clip": output 0 of node "8" (VAEDecode "VAE Decode") is IMAGE, '
        "but this input takes CLIP (hint: link an output of type CLIP)",
        f'wf.json: "3".inputs.positive: {SAMPLER}: input "positive" is part of a loop ("3" <- "6" <- "8" <- "3"); '
        "ComfyUI refuses a prompt whose nodes depend on their own output (hint: remove or rewire one of the links "
        "in the loop)"]),
    ("type mismatch with a right output on the same node", setting("3", "model", ["4", 1]), [
        f'wf.json: "3".inputs.model: {SAMPLER}: input "model": output 1 of {LOADER} is CLIP, but this input takes '
        "MODEL (hint: output 0 of that node is MODEL: did you mean index 0?)"]),
    ("a loop onto itself", setting("8", "samples", ["8", 0]), [
        'wf.json: "8".inputs.samples: node "8" (VAEDecode "VAE Decode"): input "samples": output 0 of node "8" '
        '(VAEDecode "VAE Decode") is IMAGE, but this input takes LATENT (hint: link an output of type LATENT)',
        'wf.json: "8".inputs.samples: node "8" (VAEDecode "VAE Decode"): input "samples" is part of a loop '
        '("8" <- "8"); ComfyUI refuses a prompt whose nodes depend on their own output (hint: remove or rewire one '
        "of the links in the loop)"]),
    ("no output node", lambda data: data.pop("9"), [
        "wf.json: no node is an output node (a class object_info marks output_node, such as SaveImage or "
        "PreviewImage); ComfyUI refuses a prompt without outputs (hint: add the output node back in ComfyUI and "
        "re-export the workflow (Export (API)))"]),
    ("an output node whose inputs were deleted", lambda data: data["9"].__setitem__("inputs", {}), [
        'wf.json: "9".inputs.images: node "9" (SaveImage "Save Image"): required input "images" (IMAGE) is missing; '
        f"ComfyUI refuses the prompt (hint: {REEXPORT})",
        'wf.json: "9".inputs.filename_prefix: node "9" (SaveImage "Save Image"): required input "filename_prefix" '
        f'(STRING, default "ComfyUI") is missing; ComfyUI refuses the prompt (hint: {REEXPORT})']),
    ("a required input missing", lambda data: data["3"]["inputs"].pop("cfg"), [
        f'wf.json: "3".inputs.cfg: {SAMPLER}: required input "cfg" (FLOAT, default 8.0) is missing; ComfyUI '
        f"refuses the prompt (hint: {REEXPORT})"]),
    ("over the max", setting("3", "steps", 20000), [
        f'wf.json: "3".inputs.steps: {SAMPLER}: input "steps": 20000 is above the maximum 10000']),
    ("under the min", setting("5", "width", 8), [
        'wf.json: "5".inputs.width: node "5" (EmptyLatentImage "Empty Latent Image"): input "width": 8 is below '
        "the minimum 16"]),
    ("not convertible", setting("3", "steps", "many"), [
        f'wf.json: "3".inputs.steps: {SAMPLER}: input "steps": expected an integer, got "many"']),
    ("a choice not in the list", setting("3", "scheduler", "karas"), [
        f'wf.json: "3".inputs.scheduler: {SAMPLER}: input "scheduler": "karas" is not one of "karras", "simple", '
        '"sgm_uniform", "exponential", "ddim_uniform", ... (9 choices) (hint: did you mean \'karras\'?)']),
    ("a choice given as a position", setting("3", "scheduler", "1"), [
        f'wf.json: "3".inputs.scheduler: {SAMPLER}: input "scheduler": "1" is not one of the choices: choices are '
        'names, not positions (hint: write the name itself: position 1 is "sgm_uniform" (counting from 0) or '
        '"simple" (counting from 1))']),
]  # fmt: skip


@pytest.mark.parametrize(("case", "change", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_rule_with_its_exact_message(
    core: ObjectInfo, case: str, change: Callable[[dict[str, Any]], None], expected: list[str]
) -> None:
    found = validate_workflow(edited(change), core)
    assert [d.format() for d in found] == expected
    assert all(d.is_error for d in found)


LAX: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    # ComfyUI converts these (int(20.5), float("7.5"), bool("x")) and runs them: no message for the file's own value
    ("a float for an INT", setting("3", "steps", 20.5)),
    ("a numeric string for a FLOAT", setting("3", "cfg", "7.5")),
    ("a number for a STRING", setting("6", "text", 5)),
    ("a value wrapped in __value__", setting("3", "sampler_name", {"__value__": "euler"})),
    ("a dangling node with broken links", lambda data: data.__setitem__(
        "50", {"class_type": "VAEDecode", "inputs": {"samples": ["99", 0], "vae": ["4", 7]}})),
]  # fmt: skip


@pytest.mark.parametrize(("case", "change"), LAX, ids=[c[0] for c in LAX])
def test_what_comfyui_accepts_in_the_file_passes(core: ObjectInfo, case: str, change: Any) -> None:
    assert validate_workflow(edited(change), core) == []


def test_an_unknown_class_is_an_error_against_the_deployments_own_catalogue(core: ObjectInfo, own: ObjectInfo) -> None:
    def add(data: dict[str, Any]) -> None:
        data["20"] = {"class_type": "Upscaler9000", "inputs": {"image": ["8", 0]}, "_meta": {"title": "Up"}}
        data["21"] = {"class_type": "Upscaler9000", "inputs": {}}

    graph = edited(add)
    (diag,) = validate_workflow(graph, own)
    assert diag.format() == (
        'wf.json: "20".class_type: node "20" (Upscaler9000 "Up"): node class \'Upscaler9000\' is not in the '
        "deployment's object_info (also node \"21\"); ComfyUI refuses the whole prompt (hint: install the custom "
        "node on the deployment's machine, or remove the node)"
    )
    (diag,) = validate_workflow(graph, core)
    assert diag.severity is Severity.WARNING
    assert diag.format() == (
        'wf.json: "20".class_type: warning: node "20" (Upscaler9000 "Up"): node class \'Upscaler9000\' is not in '
        'object_info (also node "21"), so its values and links are not checked; ComfyUI refuses the whole prompt '
        "if the deployment lacks it (a warning, as the object_info is hand-placed, not the deployment's own) "
        "(hint: install the custom node on the deployment's machine, or remove the node, or refresh the cached "
        "object_info)"
    )


def test_file_lists_follow_the_readme_rule_and_say_which_applied(core: ObjectInfo, own: ObjectInfo) -> None:
    graph = edited(setting("4", "ckpt_name", "sd_xl_refiner_1.0.safetensors"))
    assert validate_workflow(graph, core) == []  # a hand-placed list without files says nothing about the deployment
    (diag,) = validate_workflow(graph, replace(own, provenance=None))
    assert diag.format() == (
        f'wf.json: "4".inputs.ckpt_name: warning: {LOADER}: input "ckpt_name": "sd_xl_refiner_1.0.safetensors" is '
        "not in this machine's list; models differ per machine (a warning, as the object_info is hand-placed, not "
        "the deployment's own) (hint: make sure the deployment's machine has that file, or refresh the cached "
        "object_info)"
    )
    (diag,) = validate_workflow(graph, own)
    assert diag.format() == (
        f'wf.json: "4".inputs.ckpt_name: {LOADER}: input "ckpt_name": "sd_xl_refiner_1.0.safetensors" is not among '
        "the files the deployment's ComfyUI lists for this input (hint: did you mean 'sd_xl_base_1.0.safetensors'?)"
    )
    near = edited(setting("4", "ckpt_name", "SD_XL_base_1.0.safetensors"))
    hand = replace(own, provenance=None)
    for info in (own, hand):  # a near miss is certain whatever the list came from
        (diag,) = validate_workflow(near, info)
        assert diag.is_error and diag.hint == "did you mean 'sd_xl_base_1.0.safetensors'?"


def test_a_media_placeholder_the_deployment_lacks_is_a_warning(core: ObjectInfo, own: ObjectInfo) -> None:
    graph, _ = load_workflow_file(DATA / "workflows" / "SaladTechnologies__comfyui-api__sdxl-img2img.json")
    assert graph is not None
    mine = replace(own, classes={**own.classes, "CheckpointLoaderSimple": core.classes["CheckpointLoaderSimple"]})
    found = [d for d in validate_workflow(graph, mine) if d.field_path == '"38".inputs.image']
    assert [d.severity for d in found] == [Severity.WARNING]
    assert found[0].message.endswith("a request that does not override this input is refused")
    assert [d for d in validate_workflow(graph, core) if d.field_path == '"38".inputs.image'] == []


def test_annotated_image_names_are_judged_against_the_folder_they_name(core: ObjectInfo, own: ObjectInfo) -> None:
    from reconciler.workflow import validate_overrides

    graph, _ = load_workflow_file(DATA / "workflows" / "seeded-problems.json")
    assert graph is not None
    for info in (core, own):
        assert validate_overrides({"10": {"image": "example.png [input]"}}, graph, object_info=info,
                                  whole_workflow=False) == []  # fmt: skip
    (diag,) = validate_overrides({"10": {"image": "fox.png [input]"}}, graph, object_info=own, whole_workflow=False)
    assert diag.is_error and diag.message == (
        'node "10" (LoadImage "Reference"): input "image": "fox.png [input]" names "fox.png" in ComfyUI\'s input '
        "folder, and the deployment's input folder does not have it; ComfyUI refuses the prompt"
    )
    (diag,) = validate_overrides({"10": {"image": "fox.png [input]"}}, graph, object_info=core, whole_workflow=False)
    assert diag.severity is Severity.WARNING and "which this hand-placed object_info does not list" in diag.message
    for info in (core, own):
        (diag,) = validate_overrides({"10": {"image": "example.png [output]"}}, graph, object_info=info,
                                     whole_workflow=False)  # fmt: skip
        assert diag.severity is Severity.WARNING
        assert diag.message == (
            'node "10" (LoadImage "Reference"): input "image": "example.png [output]" names "example.png" in '
            "ComfyUI's output folder, which object_info does not list; ComfyUI refuses the prompt unless the "
            "machine's output folder has that file"
        )


def test_without_object_info_only_the_graph_is_checked() -> None:
    graph = edited(setting("6", "clip", ["99", 1]))
    (diag,) = validate_workflow(graph)
    assert diag.message.endswith('["99", 1] links to node "99", which is not in the workflow')
    assert validate_workflow(edited(setting("6", "clip", ["4", 5]))) == []  # the range needs the source's outputs
    assert validate_workflow(edited(lambda data: data.pop("9"))) == []  # outputs need object_info too
    (loop,) = validate_workflow(edited(setting("8", "samples", ["8", 0])))
    assert "is part of a loop" in loop.message


def test_a_caller_location_prefixes_the_workflow_name(core: ObjectInfo) -> None:
    where = Location("d.yaml", 7, 3)
    (diag,) = validate_workflow(edited(setting("3", "steps", 0)), core, where=where, field_path="spec.workflow_version")
    assert (diag.location, diag.field_path) == (where, "spec.workflow_version")
    assert diag.message.startswith(f"wf.json: {SAMPLER}: input \"steps\": 0 is below the minimum 1")


def test_inputs_the_overrides_set_are_judged_with_the_overrides_not_twice(core: ObjectInfo) -> None:
    graph = edited(setting("3", "steps", 20000))
    assert validate_workflow(graph, core, {"3": {"steps": 30}}) == []
    assert apply_overrides(graph, {"3": {"steps": 30}}).nodes["3"].inputs["steps"] == 30
    assert graph.nodes["3"].inputs["steps"] == 20000


def test_type_matching_follows_validate_node_input() -> None:
    assert types_match("IMAGE", "IMAGE")
    assert types_match("INT", "INT,FLOAT") and types_match("INT,FLOAT", "FLOAT")
    assert types_match("*", "MODEL") and types_match("LATENT", "*")
    assert not types_match("IMAGE", "CLIP") and not types_match("INT,FLOAT", "STRING")


VALID_EXPORTS = sorted(
    p.name for p in (DATA / "workflows").glob("*__*.json")
    if not p.name.endswith(("ltxv_image_to_video.json", "comfyui_api_node_api.json"))
)  # fmt: skip


@pytest.mark.parametrize("name", VALID_EXPORTS)
def test_published_exports_comfyui_accepts_pass_without_an_error(name: str, core: ObjectInfo) -> None:
    """Only classes the core catalogue lacks are mentioned (as warnings); nothing else is new."""
    graph, _ = load_workflow_file(DATA / "workflows" / name)
    assert graph is not None
    found = validate_workflow(graph, core)
    assert [d.format() for d in found if not d.field_path.endswith(".class_type")] == []
    assert all(d.severity is Severity.WARNING for d in found)
    unknown = {n.class_type for n in graph.nodes.values() if n.class_type not in core}
    assert len(found) == len(unknown)


def test_the_two_exports_comfyui_0_3_64_refuses(core: ObjectInfo) -> None:
    verdicts = {}
    for name in ("SaladTechnologies__comfyui-api__ltxv_image_to_video.json",
                 "replicate__cog-comfyui__comfyui_api_node_api.json"):  # fmt: skip
        graph, _ = load_workflow_file(DATA / "workflows" / name)
        assert graph is not None
        verdicts[name] = [d.field_path for d in validate_workflow(graph, core) if d.is_error]
    assert list(verdicts.values()) == [['"77".inputs.strength'], ['"1".inputs.rendering_speed']]


@pytest.mark.skipif(not (SHARED / "object_info" / "comfyui-0.3.64-core.json").is_file(), reason="no ../shared")
def test_the_shared_fixtures_get_the_same_verdicts_from_the_full_catalogue(core: ObjectInfo) -> None:
    full, _ = load_object_info_file(SHARED / "object_info" / "comfyui-0.3.64-core.json")
    assert full is not None
    for path in sorted((SHARED / "workflows").glob("*.json")):
        graph, _ = load_workflow_file(path)
        assert graph is not None
        errors = [d.format() for d in validate_workflow(graph, full) if d.is_error]
        assert errors == [d.format() for d in validate_workflow(graph, core) if d.is_error], path.name
