"""Normalising /object_info specs: every dialect in FORMATS.md section 3, on real and hand-made entries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.workflow import (
    InputKind,
    MediaKind,
    ObjectInfo,
    ObjectInfoFormatError,
    load_object_info_file,
    output_nodes,
    parse_object_info,
    parse_workflow,
)
from reconciler.workflow.object_info import parse_input_spec

CATALOGUE = Path(__file__).resolve().parents[2] / "data" / "object_info" / "comfyui-0.3.64-core.trimmed.json"


@pytest.fixture(scope="module")
def core() -> ObjectInfo:
    info, problems = load_object_info_file(CATALOGUE)
    assert problems == [] and info is not None
    return info


def test_ksampler_inputs(core: ObjectInfo) -> None:
    ksampler = core.get("KSampler")
    assert ksampler is not None
    assert list(ksampler.inputs)[:3] == ["model", "seed", "steps"]
    seed = ksampler.inputs["seed"]
    assert (seed.kind, seed.min, seed.max) == (InputKind.INT, 0, 18446744073709551615)
    cfg = ksampler.inputs["cfg"]
    assert (cfg.kind, cfg.min, cfg.max, cfg.step) == (InputKind.FLOAT, 0.0, 100.0, 0.1)
    sampler = ksampler.inputs["sampler_name"]
    assert sampler.kind is InputKind.COMBO and sampler.options is not None and "euler" in sampler.options
    assert not sampler.file_list and sampler.media is None
    assert ksampler.inputs["model"].kind is InputKind.SOCKET


def test_hidden_inputs_are_names_only(core: ObjectInfo) -> None:
    save = core.get("SaveImage")
    assert save is not None
    assert save.hidden == {"prompt", "extra_pnginfo"}
    assert "prompt" not in save.inputs
    assert save.output_node
    ideogram = core.get("IdeogramV3")
    assert ideogram is not None and "auth_token_comfy_org" in ideogram.hidden
    assert ideogram.inputs["aspect_ratio"].required is False


def test_combo_forms_and_file_lists(core: ObjectInfo) -> None:
    def spec(cls: str, name: str) -> Any:
        node = core.get(cls)
        assert node is not None
        return node.inputs[name]

    assert spec("LatentConcat", "dim").options == ("x", "-x", "y", "-y", "t", "-t")
    assert spec("CheckpointLoaderSimple", "ckpt_name").options == ()
    assert spec("CheckpointLoaderSimple", "ckpt_name").file_list
    assert spec("VAELoader", "vae_name").file_list  # ["pixel_space"], a file list by name
    assert spec("UpscaleModelLoader", "model_name").file_list  # V3 COMBO, empty, on a Loader
    assert spec("DualCLIPLoader", "clip_name2").file_list
    assert not spec("DualCLIPLoader", "type").file_list
    assert not spec("KlingImageGenerationNode", "model_name").file_list  # an enum of API models
    assert spec("Load3D", "model_file").file_list  # file_upload
    assert spec("MinimaxHailuoVideoNode", "duration").options == (6, 10)
    dedup = spec("ImageScaleToMaxDimension", "upscale_method").options
    assert len(dedup) == len(set(dedup))


def test_media_inputs(core: ObjectInfo) -> None:
    def media(cls: str, name: str) -> MediaKind | None:
        node = core.get(cls)
        assert node is not None
        return node.inputs[name].media

    assert media("LoadImage", "image") is MediaKind.IMAGE
    assert media("LoadImageMask", "image") is MediaKind.IMAGE
    assert media("LoadVideo", "file") is MediaKind.VIDEO
    assert media("LoadImageOutput", "image") is MediaKind.IMAGE
    assert media("LoadImageMask", "channel") is None
    assert media("ImageScale", "image") is None  # an IMAGE socket, not an upload
    remote = core.get("LoadImageOutput")
    assert remote is not None and remote.inputs["image"].options is None


@pytest.mark.parametrize(
    ("raw", "kind", "type_name"),
    [
        ("CONDITIONING", InputKind.SOCKET, "CONDITIONING"),  # bare string
        (["*", ""], InputKind.ANY, "*"),  # options slot not a dict
        ([["a", "b"], {"default": "a"}, {"default": "b"}], InputKind.COMBO, "COMBO"),  # 3 elements
        (["INT,FLOAT,IMAGE,LATENT", {}], InputKind.MULTI, "INT,FLOAT,IMAGE,LATENT"),
        (["FLOAT,*"], InputKind.ANY, "FLOAT,*"),
        (["COMFY_AUTOGROW_V3", {"template": {}}], InputKind.DYNAMIC, "COMFY_AUTOGROW_V3"),
        (["IMAGECOMPARE", {"socketless": True}], InputKind.CUSTOM, "IMAGECOMPARE"),
        (["STRING,FILE_3D_GLB", {"widgetType": "STRING"}], InputKind.STRING, "STRING,FILE_3D_GLB"),
        (["STRING", {"forceInput": True}], InputKind.SOCKET, "STRING"),
        ([], InputKind.ANY, "*"),
        (None, InputKind.ANY, "*"),
        ({"weird": 1}, InputKind.ANY, "*"),
    ],
)
def test_malformed_and_exotic_specs_never_crash(raw: Any, kind: InputKind, type_name: str) -> None:
    spec = parse_input_spec("Custom", "x", raw)
    assert spec.kind is kind
    assert spec.type == type_name


def test_float_bounds_beyond_int64_mean_uint64() -> None:
    spec = parse_input_spec(
        "N", "seed", ["INT", {"min": -1.8446744073709552e19, "max": 1.8446744073709552e19}]
    )
    assert spec.max == 2**64 - 1 and spec.min == -(2**63)
    assert parse_input_spec("N", "x", ["INT", {"min": True, "max": float("nan")}]).max is None


def test_multiselect_and_dict_choices() -> None:
    spec = parse_input_spec("N", "tags", ["COMBO", {"options": ["a", "b", "a"], "multiselect": True}])
    assert spec.multiselect and spec.options == ("a", "b")
    loras = parse_input_spec(
        "LoraLoader|pysssss", "lora_name", [[{"content": "x.safetensors", "image": None}]]
    )
    assert loras.file_list


def test_parse_rejects_non_objects_and_skips_bad_entries(tmp_path: Path) -> None:
    with pytest.raises(ObjectInfoFormatError):
        parse_object_info([])
    info = parse_object_info({"Good": {"input": {"required": {"x": ["INT"]}}}, "Bad": "oops"})
    assert "Good" in info and "Bad" not in info and info.skipped == ("Bad",)
    path = tmp_path / "oi.json"
    path.write_text('{"Bad": 1}')
    loaded, problems = load_object_info_file(path)
    assert loaded is not None and problems[0].severity == "warning"
    path.write_text("{")
    loaded, problems = load_object_info_file(path)
    assert loaded is None and problems[0].location is not None and problems[0].location.line == 1


def test_output_nodes_use_object_info(core: ObjectInfo) -> None:
    graph = parse_workflow(
        {
            "1": {"class_type": "PreviewAny", "inputs": {"source": ["2", 0]}},
            "2": {"class_type": "PrimitiveInt", "inputs": {"value": 3}},
        },
        source="x",
    )
    assert output_nodes(graph) == ()
    assert [n.id for n in output_nodes(graph, core)] == ["1"]
