"""Parsing API-format workflows: real fixtures, envelopes, refusals, links and output nodes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.workflow import (
    WorkflowFormatError,
    is_link,
    load_workflow_file,
    output_nodes,
    parse_workflow,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "workflows"
FIXTURES = sorted(p for p in DATA.glob("*__*.json"))


def test_fixture_set_is_present() -> None:
    assert len(FIXTURES) == 18


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_every_real_workflow_parses(path: Path) -> None:
    graph, problems = load_workflow_file(path)
    assert problems == []
    assert graph is not None
    raw = json.loads(path.read_text())
    assert graph.ids == tuple(raw)
    for node_id, node in graph.nodes.items():
        assert node.class_type == raw[node_id]["class_type"]
        assert dict(node.inputs) == raw[node_id]["inputs"]


def test_titles_ids_and_links_of_a_subgraph_workflow() -> None:
    graph, _ = load_workflow_file(DATA / "seeded-problems.json")
    assert graph is not None
    width_source = graph.nodes["5"].link("width")
    assert width_source is not None and width_source.node_id == "68:8"
    assert graph.nodes["68:8"].label() == 'node "68:8" (PrimitiveInt "Width")'
    assert graph.nodes["5"].link("height") is None
    assert graph.node("68") is None


def test_missing_meta_gives_no_title() -> None:
    graph, _ = load_workflow_file(DATA / "replicate__cog-comfyui__ultimatesdupscale_controlnet.json")
    assert graph is not None
    assert graph.nodes["3"].title is None
    assert graph.nodes["3"].label() == 'node "3" (UltimateSDUpscale)'


def test_unicode_titles_are_kept() -> None:
    graph, _ = load_workflow_file(DATA / "SaladTechnologies__comfyui-api__animatediff-small-video.json")
    assert graph is not None
    assert graph.nodes["92"].title == "Video Combine 🎥🅥🅗🅢"
    assert graph.nodes["49"].class_type == "KSampler (Efficient)"


def test_ui_export_is_refused_with_a_hint() -> None:
    graph, problems = load_workflow_file(DATA / "ui-export.json")
    assert graph is None
    assert len(problems) == 1
    assert "is a ComfyUI UI export, not an API-format workflow" in problems[0].message
    assert problems[0].hint == 'in ComfyUI use "Export (API)" (enable Dev mode options on older versions)'


def test_prompt_body_is_unwrapped() -> None:
    inner = {"1": {"class_type": "SaveImage", "inputs": {"images": ["2", 0]}}}
    graph = parse_workflow({"prompt": inner, "client_id": "abc", "extra_data": {}}, source="body.json")
    assert graph.ids == ("1",)


def test_runpod_envelope_is_unwrapped() -> None:
    inner = {"1": {"class_type": "SaveImage", "inputs": {}}}
    assert parse_workflow({"input": {"workflow": inner, "images": []}}, source="x").ids == ("1",)


def test_a_node_called_prompt_is_a_node_not_an_envelope() -> None:
    data = {"prompt": {"class_type": "CLIPTextEncode", "inputs": {"text": "hi"}}}
    assert parse_workflow(data, source="x").ids == ("prompt",)


def test_overrides_body_is_refused() -> None:
    with pytest.raises(WorkflowFormatError) as err:
        parse_workflow({"overrides": {"6": {"inputs": {"text": "x"}}}}, source="req.json")
    assert "overrides body" in err.value.diagnostics[0].message


@pytest.mark.parametrize("data", [[], "text", 3, None, {}])
def test_non_objects_and_empty_graphs_are_refused(data: Any) -> None:
    with pytest.raises(WorkflowFormatError) as err:
        parse_workflow(data, source="w.json")
    assert err.value.diagnostics[0].location is not None
    assert err.value.diagnostics[0].location.path == "w.json"


def test_every_bad_node_is_reported() -> None:
    data = {
        "1": {"inputs": {}},
        "2": {"class_type": "KSampler", "inputs": ["seed"]},
        "3": {"class_type": "KSampler"},
        "4": "KSampler",
        "5": {"class_type": "SaveImage", "inputs": {}},
    }
    with pytest.raises(WorkflowFormatError) as err:
        parse_workflow(data, source="w.json")
    messages = [d.message for d in err.value.diagnostics]
    assert messages == [
        'node "1" has no "class_type"',
        'node "2" (KSampler) has a JSON array as "inputs", expected an object',
        'node "3" (KSampler) has no "inputs", expected an object',
        'node "4" is a JSON string, not a node object',
    ]
    assert [d.field_path for d in err.value.diagnostics][:2] == ['"1".class_type', '"2".inputs']


def test_invalid_json_reports_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "1": {"class_type": "SaveImage",\n  "inputs": {}\n}\n')
    graph, problems = load_workflow_file(path)
    assert graph is None
    assert len(problems) == 1
    location = problems[0].location
    assert location is not None and location.path == str(path) and location.line == 5
    assert problems[0].message.startswith("invalid JSON")


def test_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    graph, problems = load_workflow_file(tmp_path / "absent.json")
    assert graph is None
    assert "cannot read workflow file" in problems[0].message


def test_wrapped_values_are_copied_not_links() -> None:
    raw = {"1": {"class_type": "X", "inputs": {"loras": {"__value__": ["a", 1]}, "pair": ["a", 1]}}}
    graph = parse_workflow(raw, source="x")
    raw["1"]["inputs"]["pair"][0] = "changed"
    assert graph.nodes["1"].link("loras") is None
    assert graph.nodes["1"].link("pair") is not None
    assert graph.nodes["1"].inputs["pair"] == ["a", 1]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["4", 1], True),
        (["68:68", 0], True),
        (["4", 1.0], True),
        (["4", True], True),  # the backend's isinstance(int) check lets bool through
        ([4, 1], False),
        (["4", "1"], False),
        (["4"], False),
        (["4", 1, 2], False),
        (("4", 1), False),
        ({"__value__": ["4", 1]}, False),
        ("4", False),
        (None, False),
        ([None, 0], False),
    ],
)
def test_is_link_matches_the_backend(value: Any, expected: bool) -> None:
    assert is_link(value) is expected


def test_output_nodes_known_classes_and_object_info() -> None:
    graph, _ = load_workflow_file(DATA / "replicate__cog-comfyui__flux_inpaint_alternative_api.json")
    assert graph is not None
    assert [n.id for n in output_nodes(graph)] == ["76", "111", "136", "145"]
    bento, _ = load_workflow_file(DATA / "bentoml__comfy-pack__workflow_api.json")
    assert bento is not None and output_nodes(bento) == ()
