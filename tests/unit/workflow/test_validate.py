"""Override checks against real workflows and the trimmed ComfyUI 0.3.64 core catalogue."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from reconciler.diagnostics import Diagnostic, Location, Severity
from reconciler.workflow import (
    ObjectInfo,
    WorkflowGraph,
    load_object_info_file,
    load_workflow_file,
    validate_overrides,
)

DATA = Path(__file__).resolve().parents[2] / "data"
PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()


@pytest.fixture(scope="module")
def core() -> ObjectInfo:
    info, _ = load_object_info_file(DATA / "object_info" / "comfyui-0.3.64-core.trimmed.json")
    assert info is not None
    return info


def workflow(name: str) -> WorkflowGraph:
    graph, problems = load_workflow_file(DATA / "workflows" / name)
    assert graph is not None, problems
    return graph


@pytest.fixture(scope="module")
def seeded() -> WorkflowGraph:
    return workflow("seeded-problems.json")


SEEDED_OVERRIDES: dict[str, dict[str, Any]] = {
    "99": {"seed": 1},  # line 10: no such node
    "3": {
        "seeed": 5,  # line 12: unknown input
        "steps": 20000,  # line 13: INT above max
        "cfg": "7.5",  # line 14: FLOAT as string
        "sampler_name": "eulr",  # line 15: not an option
        "seed": 18446744073709551615,  # line 16: valid, 2^64-1 is the max
    },
    "5": {"width": 768},  # line 18: fed by a link
    "4": {"ckpt_name": "missing.safetensors"},  # line 20: model list -> warning
    "10": {"image": "http://example.com/fox.png"},  # line 22: http
    "11": {"image": "data:image/png;base64,iVBORw0KGgo!!!"},  # line 24: corrupt base64
    "12": {"rotate_pitch": 5},  # line 26: unknown class -> one warning
    "13": {"rotate_pitch": 3},  # line 28: same class, no second warning
}
LINES = {
    ("99", None): 10, ("3", "seeed"): 12, ("3", "steps"): 13, ("3", "cfg"): 14, ("3", "sampler_name"): 15,
    ("3", "seed"): 16, ("5", "width"): 18, ("4", "ckpt_name"): 20, ("10", "image"): 22, ("11", "image"): 24,
    ("12", None): 26, ("13", None): 28,
}  # fmt: skip


def locate(node_id: str, input_name: str | None) -> Location | None:
    line = LINES.get((node_id, input_name))
    return Location("presets.yaml", line, 5) if line else None


def by_path(diagnostics: list[Diagnostic]) -> dict[str, Diagnostic]:
    paths = [d.field_path for d in diagnostics]
    assert len(paths) == len(set(paths)), f"reported twice: {paths}"
    return {d.field_path: d for d in diagnostics}


def test_each_seeded_problem_is_reported_exactly_once(seeded: WorkflowGraph, core: ObjectInfo) -> None:
    found = by_path(validate_overrides(SEEDED_OVERRIDES, seeded, object_info=core, locate=locate))
    expected = {
        'spec.overrides."99"': (Severity.ERROR, 'node "99" is not in the workflow'),
        'spec.overrides."3".inputs.seeed': (
            Severity.ERROR,
            'node "3" (KSampler "KSampler Base"): input "seeed"',
        ),
        'spec.overrides."3".inputs.steps': (Severity.ERROR, "20000 is above the maximum 10000"),
        'spec.overrides."3".inputs.cfg': (Severity.ERROR, 'expected a number, got "7.5"'),
        'spec.overrides."3".inputs.sampler_name': (Severity.ERROR, '"eulr" is not one of "euler"'),
        'spec.overrides."5".inputs.width': (
            Severity.ERROR,
            'node "5" (EmptyLatentImage "Empty Latent Image"): input "width" is connected to output 0 of '
            'node "68:8" (PrimitiveInt "Width")',
        ),
        'spec.overrides."4".inputs.ckpt_name': (
            Severity.WARNING,
            'node "4" (CheckpointLoaderSimple "Load Checkpoint Base"): input "ckpt_name": '
            '"missing.safetensors" is not in this machine\'s list; models differ per machine',
        ),
        'spec.overrides."10".inputs.image': (
            Severity.ERROR,
            'node "10" (LoadImage "Reference"): input "image"',
        ),
        'spec.overrides."11".inputs.image': (Severity.ERROR, "not valid base64"),
        '"12".class_type': (Severity.WARNING, "node class 'ExpressionEditor' is not in object_info (also node \"13\")"),
    }
    assert set(found) == set(expected)
    for path, (severity, text) in expected.items():
        diag = found[path]
        assert diag.severity is severity, diag.format()
        assert text in diag.message, diag.format()
        expected_file = seeded.source if path.startswith('"') else "presets.yaml"
        assert diag.location is not None and diag.location.path == expected_file
    assert found['spec.overrides."3".inputs.cfg'].location == Location("presets.yaml", 14, 5)
    assert found['spec.overrides."3".inputs.seeed'].hint.startswith("did you mean 'seed'?")
    assert found['spec.overrides."3".inputs.sampler_name'].hint == "did you mean 'euler'?"
    assert found['spec.overrides."5".inputs.width'].hint == 'override an input of node "68:8" instead'
    assert "https" in found['spec.overrides."10".inputs.image'].hint
    assert 'ExpressionEditor "Expression A"' in found['"12".class_type'].message


def test_without_object_info_only_graph_rules_apply(seeded: WorkflowGraph) -> None:
    found = by_path(validate_overrides(SEEDED_OVERRIDES, seeded))
    assert set(found) == {
        'spec.overrides."99"',
        'spec.overrides."3".inputs.seeed',
        'spec.overrides."5".inputs.width',
        'spec.overrides."10".inputs.image',  # LoadImage is a known media loader
        'spec.overrides."11".inputs.image',
    }


def test_subgraph_id_is_suggested(seeded: WorkflowGraph) -> None:
    from reconciler.workflow import parse_workflow

    graph = parse_workflow({"68:77": {"class_type": "PrimitiveInt", "inputs": {"value": 1}}}, source="w")
    (diag,) = validate_overrides({"77": {"value": 3}}, graph, context="spec.smoke.overrides")
    assert diag.field_path == 'spec.smoke.overrides."77"'
    assert diag.hint.startswith("did you mean '68:77'?")
    assert 'ids like "68:8" (subgraph nodes) are normal' in diag.hint
    (diag,) = validate_overrides({"9x": {"x": 1}}, seeded)
    assert diag.message == 'node "9x" is not in the workflow ' + str(
        DATA / "workflows" / "seeded-problems.json"
    )


VALID: list[tuple[str, dict[str, dict[str, Any]]]] = [
    ("SaladTechnologies__comfyui-api__sd1.5-txt2img.json", {
        "3": {"seed": 2**64 - 1, "steps": 30, "cfg": 7, "sampler_name": "dpmpp_2m", "denoise": 0.55},
        "5": {"width": 768, "height": 512, "batch_size": 2},
        "6": {"text": "a lighthouse at dusk"}, "7": {"text": ""},
        "9": {"filename_prefix": "lighthouse"},
    }),
    ("SaladTechnologies__comfyui-api__sdxl-img2img.json", {
        "38": {"image": "https://example.com/in.png"},
        "36": {"seed": 7, "scheduler": "karras"},
        "16": {"width": 2048.0, "text_g": "x", "text_l": "y"},
        "40": {"upscale_method": "lanczos", "crop": "disabled"},
    }),
    ("SaladTechnologies__comfyui-api__hunyuanvideo-txt2video.json", {
        "45": {"length": 25}, "75": {"lossless": True, "quality": 90, "method": "fastest"},
        "25": {"noise_seed": 12345678901234567890}, "26": {"guidance": 3.5},
        "73": {"tile_size": 512},
    }),
    ("replicate__cog-comfyui__flux_inpaint_alternative_api.json", {
        "130": {"image": PNG}, "146": {"image": "https://example.com/mask.png", "channel": "red"},
        "25": {"noise_seed": 24}, "144": {"resize_source": False},
    }),
    ("replicate__cog-comfyui__comfyui_api_node_api.json", {
        "1": {"prompt": "a red kite", "aspect_ratio": "16:9", "seed": 1, "num_images": 2},
    }),
    ("replicate__cog-comfyui__sd15_img2img.json", {
        "10": {"image": {"__value__": "https://example.com/1.jpeg"}}, "3": {"denoise": 0.2700000000000001},
    }),
]  # fmt: skip


@pytest.mark.parametrize(("name", "overrides"), VALID, ids=[v[0].split("__")[-1] for v in VALID])
def test_valid_overrides_on_real_workflows_report_nothing(
    name: str, overrides: dict[str, dict[str, Any]], core: ObjectInfo
) -> None:
    assert validate_overrides(overrides, workflow(name), object_info=core, whole_workflow=False) == []


def one(overrides: dict[str, dict[str, Any]], graph: WorkflowGraph, info: ObjectInfo | None) -> Diagnostic:
    found = validate_overrides(overrides, graph, object_info=info, whole_workflow=False)
    assert len(found) == 1, [d.format() for d in found]
    return found[0]


@pytest.mark.parametrize(
    ("node_id", "name", "value", "text"),
    [
        ("3", "seed", True, "expected an integer, got true"),
        ("3", "seed", 20.5, "expected an integer, got 20.5"),
        ("3", "seed", 1e300, "too large to be an exact integer"),
        ("3", "seed", "%seed%", 'expected an integer, got "%seed%"'),
        ("3", "seed", -1, "below the minimum 0"),
        ("3", "cfg", float("nan"), "expected a finite number"),
        ("3", "cfg", False, "expected a number, got false"),
        ("3", "denoise", 1.5, "above the maximum 1.0"),
        ("6", "text", 5, "expected a string, got 5"),
        ("3", "seed", None, "null is not a value"),
        ("3", "seed", ["27", 0], '["27", 0] links to node "27", which is not in the workflow'),
        ("3", "seed", [1, 2, 3], "is a bare list"),
        ("3", "sampler_name", {"__value__": "nope"}, '"nope" is not one of'),
        ("3", "model", "sdxl.safetensors", "is connected to output 0 of"),
        ("9", "prompt", {}, "is a hidden input"),
        ("10", "image", "ftp://example.com/a.png", "ftp:// scheme"),
        ("10", "image", "data:video/mp4;base64,AAAA", "expected image/..."),
        ("10", "image", "data:image/png,rawbytes", "not base64-encoded"),
        ("10", "image", "data:image/png;base64,AAA", "not valid base64"),
        ("10", "image", 12, "expected an https URL"),
    ],
)
def test_single_rules(
    seeded: WorkflowGraph, core: ObjectInfo, node_id: str, name: str, value: Any, text: str
) -> None:
    diag = one({node_id: {name: value}}, seeded, core)
    assert text in diag.message, diag.format()
    assert diag.is_error


def test_numeric_string_gets_a_hint(seeded: WorkflowGraph, core: ObjectInfo) -> None:
    assert one({"3": {"steps": "30"}}, seeded, core).hint == "write the number without quotes"


def test_string_boolean_is_rejected_for_boolean(core: ObjectInfo) -> None:
    graph = workflow("SaladTechnologies__comfyui-api__hunyuanvideo-txt2video.json")
    diag = one({"75": {"lossless": "false"}}, graph, core)
    assert "non-empty string as true" in diag.hint


def test_optional_input_absent_from_workflow_is_allowed(core: ObjectInfo) -> None:
    graph = workflow("replicate__cog-comfyui__comfyui_api_node_api.json")
    assert "resolution" in graph.nodes["1"].inputs and "image" not in graph.nodes["1"].inputs
    assert validate_overrides({"1": {"resolution": "1024x1024"}}, graph, object_info=core, whole_workflow=False) == []
    diag = one({"1": {"image": "https://example.com/x.png"}}, graph, core)
    assert "takes only a connection of type IMAGE" in diag.message


def test_undeclared_workflow_input_is_a_warning(seeded: WorkflowGraph, core: ObjectInfo) -> None:
    diag = one({"10": {"upload": "image"}}, seeded, core)
    assert diag.severity is Severity.WARNING and "not declared by LoadImage" in diag.message


def test_plain_file_name_for_media_is_a_warning(seeded: WorkflowGraph, core: ObjectInfo) -> None:
    assert one({"10": {"image": "other.png"}}, seeded, core).severity is Severity.WARNING
    assert validate_overrides({"10": {"image": "example.png"}}, seeded, object_info=core, whole_workflow=False) == []


def test_numeric_combo_compares_json_types() -> None:
    from reconciler.workflow import parse_object_info, parse_workflow

    info = parse_object_info({"N": {"input": {"required": {
        "duration": ["COMBO", {"options": [6, 10]}],
        "flag": [[False, True]],
        "tags": ["COMBO", {"options": ["a", "b"], "multiselect": True}],
        "any": ["INT,FLOAT,IMAGE", {"min": 0}],
    }}}})  # fmt: skip
    graph = parse_workflow({"1": {"class_type": "N", "inputs": {}}}, source="x")
    ok = {"duration": 6.0, "flag": True, "tags": {"__value__": ["a", "b"]}, "any": 2.5}
    assert validate_overrides({"1": ok}, graph, object_info=info, whole_workflow=False) == []
    bad = {"duration": "6", "flag": 1, "tags": {"__value__": ["a", "c"]}, "any": -1}
    assert len(validate_overrides({"1": bad}, graph, object_info=info, whole_workflow=False)) == 4


def test_non_mapping_inputs_and_odd_keys(seeded: WorkflowGraph, core: ObjectInfo) -> None:
    bad: Any = {"3": 5, 3: {"steps": 10}}
    found = validate_overrides(bad, seeded, object_info=core, whole_workflow=False)
    assert [d.field_path for d in found] == ['spec.overrides."3".inputs']
    (diag,) = validate_overrides({"3": {"time embed.": 1}}, seeded, object_info=core, whole_workflow=False)
    assert diag.field_path == 'spec.overrides."3".inputs."time embed."'


@pytest.mark.parametrize(("name", "overrides"), VALID, ids=[v[0].split("__")[-1] for v in VALID])
def test_valid_overrides_stay_valid_against_the_deployments_own_catalogue(
    name: str, overrides: dict[str, dict[str, Any]], core: ObjectInfo
) -> None:
    from dataclasses import replace

    from reconciler.workflow.provenance import ObjectInfoSource

    own = replace(core, provenance=ObjectInfoSource("deployment"))
    assert own.from_deployment
    assert validate_overrides(overrides, workflow(name), object_info=own, whole_workflow=False) == []


TXT2IMG = "txt2img.json"
KSAMPLER = 'node "3" (KSampler "KSampler")'
LINK_OVERRIDES: list[tuple[str, dict[str, Any], str | None]] = [
    # a preset that repeats the node's own link (a copied inputs block) changes nothing
    ("the same link", {"3": {"positive": ["6", 0], "model": ["4", 0]}}, None),
    # rewiring to another existing output of the same type is what ComfyUI runs
    ("another output of the same type", {"3": {"positive": ["7", 0], "negative": ["6", 0]}}, None),
    ("a mismatched link into a widget input", {"5": {"width": ["4", 0]}}, (
        'node "5" (EmptyLatentImage "Empty Latent Image"): input "width": output 0 of node "4" (CheckpointLoaderSimple '
        '"Load Checkpoint (SDXL base)") is MODEL, but this input takes INT (hint: link an output of type INT; '
        'ComfyUI reads a list as a link; to pass a list as a value, wrap it: {"__value__": [...]})')),
    ("a mismatched type names both types", {"3": {"positive": ["4", 1]}}, (
        f'{KSAMPLER}: input "positive": output 1 of node "4" (CheckpointLoaderSimple "Load Checkpoint (SDXL base)") '
        "is CLIP, but this input takes CONDITIONING (hint: link an output of type CONDITIONING)")),
    ("a missing node", {"3": {"positive": ["61", 0]}}, (
        f'{KSAMPLER}: input "positive": ["61", 0] links to node "61", which is not in the workflow (hint: did you '
        "mean '6'? node ids are the keys of workflow_api.json; ids like \"68:8\" (subgraph nodes) are normal)")),
    ("an index out of range", {"3": {"positive": ["6", 1]}}, (
        f'{KSAMPLER}: input "positive": ["6", 1] links to output 1 of node "6" (CLIPTextEncode "Positive Prompt"), '
        "which has only 1 output (0 CONDITIONING)")),
    ("a float index", {"3": {"positive": ["6", 0.0]}}, (
        f'{KSAMPLER}: input "positive": the output index 0.0 of ["6", 0.0] is not an integer (hint: write 0 '
        "without a decimal point)")),
    ("a value over a link still cuts it", {"3": {"positive": "a cat"}}, (
        f'{KSAMPLER}: input "positive" is connected to output 0 of node "6" (CLIPTextEncode "Positive Prompt"); '
        'a value would cut that connection (hint: override an input of node "6" instead)')),
]  # fmt: skip


@pytest.mark.parametrize(("case", "overrides", "message"), LINK_OVERRIDES, ids=[c[0] for c in LINK_OVERRIDES])
def test_link_overrides_are_judged_as_comfyui_runs_them(
    core: ObjectInfo, case: str, overrides: dict[str, dict[str, Any]], message: str | None
) -> None:
    found = validate_overrides(overrides, workflow(TXT2IMG), object_info=core)
    assert [d.format() for d in found] == ([] if message is None else [f'{next(iter(found)).field_path}: {message}'])


CHOICES: list[tuple[str, dict[str, dict[str, Any]], str]] = [
    ("a one-item list on a choice", {"3": {"sampler_name": ["euler"]}}, (
        f'{KSAMPLER}: input "sampler_name": ["euler"] is a list (hint: a choice takes one name, not a list: '
        'write "euler" without brackets)')),
    ("a one-item list of a name not listed", {"3": {"scheduler": ["karas"]}}, (
        f'{KSAMPLER}: input "scheduler": ["karas"] is a list (hint: a choice takes one name, not a list: write '
        '"karas" without brackets (choices: "karras", "simple", "sgm_uniform", "exponential", "ddim_uniform", ... '
        "(9 choices)))")),
    ("a position for a model name", {"4": {"ckpt_name": "1"}}, (
        'node "4" (CheckpointLoaderSimple "Load Checkpoint (SDXL base)"): input "ckpt_name": "1" is not one of the '
        'choices: choices are names, not positions (hint: write the name itself: position 1 is '
        '"flux1-schnell-fp8.safetensors" (counting from 0) or "sd_xl_base_1.0.safetensors" (counting from 1))')),
    ("a long list cut to the nearest few", {"3": {"sampler_name": "dpmpp_2m_sdee"}}, (
        f'{KSAMPLER}: input "sampler_name": "dpmpp_2m_sdee" is not one of "dpmpp_2m_sde", "dpmpp_3m_sde", '
        '"dpmpp_2m_sde_heun", "dpmpp_2m_sde_gpu", "dpmpp_sde", ... (42 choices) (hint: did you mean '
        "'dpmpp_2m_sde'?)")),
]  # fmt: skip


@pytest.mark.parametrize(("case", "overrides", "message"), CHOICES, ids=[c[0] for c in CHOICES])
def test_choice_messages(core: ObjectInfo, case: str, overrides: dict[str, dict[str, Any]], message: str) -> None:
    models = replace_options(core, "CheckpointLoaderSimple", "ckpt_name",
                             ("sd_xl_base_1.0.safetensors", "flux1-schnell-fp8.safetensors"))  # fmt: skip
    (diag,) = validate_overrides(overrides, workflow(TXT2IMG), object_info=models)
    assert diag.format().split(": ", 1)[1] == message
    assert len(diag.format()) < 400


def replace_options(info: ObjectInfo, class_type: str, name: str, options: tuple[str, ...]) -> ObjectInfo:
    from dataclasses import replace

    node_class = info.classes[class_type]
    spec = replace(node_class.inputs[name], options=options)
    changed = replace(node_class, inputs={**node_class.inputs, name: spec})
    return replace(info, classes={**info.classes, class_type: changed})


def test_a_one_item_list_hint_works_when_followed(core: ObjectInfo) -> None:
    graph = workflow(TXT2IMG)
    (diag,) = validate_overrides({"3": {"sampler_name": ["euler"]}}, graph, object_info=core)
    assert "write \"euler\" without brackets" in diag.hint
    assert validate_overrides({"3": {"sampler_name": "euler"}}, graph, object_info=core) == []
