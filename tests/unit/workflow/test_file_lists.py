"""File-list COMBOs: certain mistakes are errors, a name another machine may have stays a warning.

Built on the trimmed ComfyUI 0.3.64 catalogue, with its (empty) model lists filled in: the classic
form for ``CheckpointLoaderSimple.ckpt_name`` and the V3 ``COMBO`` form for
``UpscaleModelLoader.model_name``, so every row of the near-miss table runs through both forms.
"""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.diagnostics import Diagnostic, Severity
from reconciler.workflow import ObjectInfo, WorkflowGraph, parse_object_info, parse_workflow, validate_overrides
from reconciler.workflow.file_lists import certain_mistake, near_miss
from reconciler.workflow.provenance import ObjectInfoSource

CATALOGUE = Path(__file__).resolve().parents[2] / "data" / "object_info" / "comfyui-0.3.64-core.trimmed.json"
MODELS = ["flux1-schnell-fp8.safetensors", "sd_xl_base_1.0.safetensors", "4x-UltraSharp.pth", "clip_l.safetensors"]
VAES = ["ae.safetensors", "sdxl_vae.safetensors"]
PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()


def catalogue(*, from_deployment: bool) -> ObjectInfo:
    data = copy.deepcopy(json.loads(CATALOGUE.read_text()))
    data["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0] = list(MODELS)
    data["UpscaleModelLoader"]["input"]["required"]["model_name"][1]["options"] = list(MODELS)
    data["VAELoader"]["input"]["required"]["vae_name"][0] = list(VAES)
    info = parse_object_info(data, source="object_info.json")
    if from_deployment:
        from dataclasses import replace

        info = replace(info, provenance=ObjectInfoSource("deployment"))
    return info


HAND = catalogue(from_deployment=False)
OWN = catalogue(from_deployment=True)
GRAPH: WorkflowGraph = parse_workflow(
    {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": MODELS[0]}},
        "2": {"class_type": "UpscaleModelLoader", "inputs": {"model_name": MODELS[2]}},
        "3": {"class_type": "VAELoader", "inputs": {"vae_name": VAES[0]}},
        "4": {"class_type": "LoadImage", "inputs": {"image": "example.png"}, "_meta": {"title": "Input"}},
    },
    source="wf.json",
)
FORMS = {"classic": ("1", "ckpt_name"), "v3": ("2", "model_name")}


def test_both_combo_forms_are_file_lists_with_the_same_options() -> None:
    classic = HAND.classes["CheckpointLoaderSimple"].inputs["ckpt_name"]
    v3 = HAND.classes["UpscaleModelLoader"].inputs["model_name"]
    assert classic.file_list and v3.file_list
    assert classic.options == v3.options == tuple(MODELS)


def check(form: str, value: Any, info: ObjectInfo) -> list[Diagnostic]:
    node, name = FORMS[form]
    return validate_overrides({node: {name: value}}, GRAPH, object_info=info, whole_workflow=False)


E, W, OK = Severity.ERROR, Severity.WARNING, None
NEAR_MISSES: list[tuple[str, Any, Severity | None, Severity | None, str]] = [
    # case, value, verdict with a hand-placed object_info, with the deployment's own, hint or message text
    ("listed", "flux1-schnell-fp8.safetensors", OK, OK, ""),
    ("case", "Flux1-Schnell-FP8.safetensors", E, E, "did you mean 'flux1-schnell-fp8.safetensors'?"),
    ("one-char suffix", "flux1-schnell-fp8.safetensorss", E, E, "did you mean 'flux1-schnell-fp8.safetensors'?"),
    ("digit after the extension", "flux1-schnell-fp8.safetensors2", E, E, "did you mean 'flux1-schnell"),
    ("one-char typo", "flux1-schnel-fp8.safetensors", E, E, "did you mean 'flux1-schnell-fp8.safetensors'?"),
    ("swapped letters", "flux1-shcnell-fp8.safetensors", E, E, "did you mean 'flux1-schnell-fp8.safetensors'?"),
    ("separator", "4x_UltraSharp.pth", E, E, "did you mean '4x-UltraSharp.pth'?"),
    ("no extension", "sd_xl_base_1.0", E, E, "did you mean 'sd_xl_base_1.0.safetensors'?"),
    ("spaces", " clip_l.safetensors", E, E, "did you mean 'clip_l.safetensors'?"),
    ("integer", 0, E, E, "0 is not one of the choices: choices are names, not positions"),
    ("float", 1.5, E, E, "expected a file name (a string), got 1.5"),
    ("name from another list", "ae.safetensors", W, E, "is listed for VAELoader.vae_name"),
    ("another file, one letter token", "clip_g.safetensors", W, E, ""),
    ("another version, one digit", "sd_xl_base_1.1.safetensors", W, E, ""),
    ("another model", "flux1-dev-fp8.safetensors", W, E, ""),
]


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize(("case", "value", "hand", "own", "text"), NEAR_MISSES, ids=[r[0] for r in NEAR_MISSES])
def test_near_miss_table(
    form: str, case: str, value: Any, hand: Severity | None, own: Severity | None, text: str
) -> None:
    for info, expected in ((HAND, hand), (OWN, own)):
        found = check(form, value, info)
        if expected is None:
            assert found == []
            continue
        assert len(found) == 1, [d.format() for d in found]
        (diag,) = found
        assert diag.severity is expected, (info.from_deployment, diag.format())
        assert text in diag.format(), diag.format()


def test_hand_placed_miss_keeps_todays_warning_wording() -> None:
    (diag,) = check("classic", "flux1-dev-fp8.safetensors", HAND)
    assert diag.message == (
        'node "1" (CheckpointLoaderSimple): input "ckpt_name": "flux1-dev-fp8.safetensors" is not in this '
        "machine's list; models differ per machine"
    )
    assert diag.hint == "make sure the deployment's machine has that file, or refresh the cached object_info"


def test_deployment_list_miss_is_an_error_that_says_whose_list() -> None:
    (diag,) = check("v3", "flux1-dev-fp8.safetensors", OWN)
    assert diag.is_error
    assert "is not among the files the deployment's ComfyUI lists for this input" in diag.message
    assert diag.hint == "did you mean 'flux1-schnell-fp8.safetensors'?"


def test_case_slip_message_says_why() -> None:
    (diag,) = check("classic", "Flux1-Schnell-FP8.safetensors", HAND)
    assert diag.message.endswith('"Flux1-Schnell-FP8.safetensors" is not in the list (names are case-sensitive)')


def test_an_empty_deployment_list_refuses_every_name() -> None:
    data = json.loads(CATALOGUE.read_text())
    from dataclasses import replace

    empty = replace(parse_object_info(data), provenance=ObjectInfoSource("deployment"))
    (diag,) = validate_overrides({"1": {"ckpt_name": "x.safetensors"}}, GRAPH, object_info=empty, whole_workflow=False)
    assert diag.is_error and "the list is empty" in diag.hint
    hand = parse_object_info(data)
    (diag,) = validate_overrides({"1": {"ckpt_name": "x.safetensors"}}, GRAPH, object_info=hand, whole_workflow=False)
    assert diag.severity is Severity.WARNING


@pytest.mark.parametrize(
    ("value", "hand", "own", "text"),
    [
        ("example.png", OK, OK, ""),
        ("https://example.com/fox.png", OK, OK, ""),
        (PNG, OK, OK, ""),
        ("Example.png", E, E, "did you mean 'example.png'?"),
        ("example.pngg", E, E, "did you mean 'example.png'?"),
        ("fox.png", W, E, "https URL or a data:image/"),
        (12, E, E, "expected an https URL"),
    ],
)
def test_load_image(value: Any, hand: Severity | None, own: Severity | None, text: str) -> None:
    for info, expected in ((HAND, hand), (OWN, own)):
        found = validate_overrides({"4": {"image": value}}, GRAPH, object_info=info, whole_workflow=False)
        if expected is None:
            assert found == []
            continue
        (diag,) = found
        assert diag.severity is expected and text in diag.format(), diag.format()


def test_without_object_info_load_image_names_stay_warnings() -> None:
    (diag,) = validate_overrides({"4": {"image": "Example.png"}}, GRAPH)
    assert diag.severity is Severity.WARNING


def test_multiselect_file_list_checks_each_name() -> None:
    info = parse_object_info(
        {"Multi": {"input": {"required": {"lora_name": ["COMBO", {"options": MODELS, "multiselect": True}]}}}}
    )
    graph = parse_workflow({"1": {"class_type": "Multi", "inputs": {"lora_name": []}}}, source="w")
    good = {"__value__": MODELS[:2]}
    assert validate_overrides({"1": {"lora_name": good}}, graph, object_info=info, whole_workflow=False) == []
    (diag,) = validate_overrides({"1": {"lora_name": {"__value__": [MODELS[0], "CLIP_L.safetensors"]}}}, graph,
                                 object_info=info, whole_workflow=False)  # fmt: skip
    assert diag.is_error and "did you mean 'clip_l.safetensors'?" in diag.hint


@pytest.mark.parametrize(
    ("value", "listed"),
    [
        ("FLUX1-SCHNELL-FP8.SAFETENSORS", MODELS[0]),
        ("flux1-schnell-fp8.safetensor", MODELS[0]),
        ("flux1-schnell-fp8", MODELS[0]),
        ("sd_xl_base_1.0.safetensors ", MODELS[1]),
        ("4xUltraSharp.pth", MODELS[2]),
        ("clip_l.safetensorz", MODELS[3]),
    ],
)
def test_near_miss_finds_the_listed_name(value: str, listed: str) -> None:
    found = near_miss(value, MODELS)
    assert found is not None and found[0] == listed


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("clip_g.safetensors", ["clip_l.safetensors"]),  # a one-letter token: another file
        ("vae.safetensors", ["ae.safetensors"]),  # a three-letter token
        ("RealESRGAN_x2plus.pth", ["RealESRGAN_x4plus.pth"]),  # digits are versions and scales
        ("model2.safetensors", ["model.safetensors"]),
        ("sd_xl_refiner_1.0.safetensors", ["sd_xl_base_1.0.safetensors"]),
        ("flux1-dev.safetensors", ["flux1-dev.safetensors"]),  # the name itself is no slip
        ("x.ckpt", ["x.safetensors"]),  # another format of the same model may exist
    ],
)
def test_distinct_files_are_not_near_misses(value: str, names: list[str]) -> None:
    assert near_miss(value, names) is None


def test_certain_mistake_directly() -> None:
    assert certain_mistake("a.pt", ("a.pt",), authoritative=True) is None
    assert certain_mistake("b.pt", ("a.pt",), authoritative=False) is None
    found = certain_mistake("b.pt", ("a.pt",), authoritative=True, elsewhere=["VAELoader.vae_name"])
    assert found is not None and "VAELoader.vae_name" in found.hint
    found = certain_mistake(True, ("a.pt",), authoritative=False)
    assert found is not None and found.message == "expected a file name (a string), got true"


file_names = st.from_regex(r"[A-Za-z0-9_\-]{1,12}\.(safetensors|ckpt|pth|png)", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(names=st.lists(file_names, min_size=1, max_size=6, unique=True), value=st.text(max_size=20) | file_names)
def test_near_miss_names_a_listed_name_never_the_value_itself(names: list[str], value: str) -> None:
    found = near_miss(value, names)
    if found is not None:
        assert found[0] in names and found[0] != value
    if value in names:
        assert certain_mistake(value, tuple(names), authoritative=True) is None


@settings(max_examples=200, deadline=None)
@given(name=file_names)
def test_another_letter_case_is_always_a_near_miss(name: str) -> None:
    other = name.swapcase()
    if other != name:
        assert near_miss(other, [name]) == (name, "names are case-sensitive")
