"""Required inputs: a node ComfyUI runs without one of its ``required`` inputs is refused, defaults or not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.diagnostics import Location, Severity
from reconciler.workflow import (
    ObjectInfo,
    WorkflowGraph,
    load_object_info_file,
    load_workflow_file,
    parse_object_info,
    parse_workflow,
    validate_overrides,
)
from reconciler.workflow.required import REEXPORT_HINT, missing_required_inputs, validate_required_inputs

DATA = Path(__file__).resolve().parents[2] / "data"
SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures"
LTXV = "SaladTechnologies__comfyui-api__ltxv_image_to_video.json"


@pytest.fixture(scope="module")
def core() -> ObjectInfo:
    info, _ = load_object_info_file(DATA / "object_info" / "comfyui-0.3.64-core.trimmed.json")
    assert info is not None
    return info


def workflow(name: str) -> WorkflowGraph:
    graph, problems = load_workflow_file(DATA / "workflows" / name)
    assert graph is not None, problems
    return graph


def test_ltxv_fixture_lacks_strength_and_cannot_run_on_0_3_64(core: ObjectInfo) -> None:
    """The Jan-2025 export predates LTXVImgToVideo's required ``strength``: ComfyUI 0.3.64 refuses it.

    Its other drift is harmless to ComfyUI: the extra ``image_noise_scale`` is ignored, and
    ``length: 15`` off the ``step: 8`` grid is not validated. So the verdict is one error, on node 77.
    """
    graph = workflow(LTXV)
    (diag,) = validate_required_inputs(graph, core)
    assert diag.is_error
    assert diag.location == Location(graph.source)
    assert diag.field_path == '"77".inputs.strength'
    assert diag.message == (
        'node "77" (LTXVImgToVideo "LTXVImgToVideo"): required input "strength" (FLOAT, default 1.0) is missing; '
        "ComfyUI refuses the prompt"
    )
    assert diag.hint == REEXPORT_HINT == "re-export the workflow from the deployment's ComfyUI (Export (API))"


def test_ltxv_with_or_without_overrides(core: ObjectInfo) -> None:
    graph = workflow(LTXV)
    found = validate_overrides({"71": {"steps": 20}}, graph, object_info=core)
    assert [d.field_path for d in found] == ['"77".inputs.strength']
    assert validate_overrides({"77": {"strength": 0.8}}, graph, object_info=core) == []
    assert validate_overrides({"71": {"steps": 20}}, graph, object_info=core, whole_workflow=False) == []
    assert validate_overrides({"71": {"steps": 20}}, graph) == []  # no object_info, no schema to check with


def test_an_input_only_the_overrides_supply_can_be_a_warning(core: ObjectInfo) -> None:
    graph = workflow(LTXV)
    (diag,) = validate_required_inputs(graph, core, {"77": {"strength": 1.0}}, warn_supplied=True)
    assert diag.severity is Severity.WARNING
    assert 'the workflow lacks the required input "strength"' in diag.message
    assert "a request that does not is refused" in diag.message
    assert validate_required_inputs(graph, core, {"77": {"strength": 1.0}}) == []


def test_a_caller_location_prefixes_the_workflow_name(core: ObjectInfo) -> None:
    graph = workflow(LTXV)
    where = Location("d.yaml", 7, 3)
    (diag,) = validate_required_inputs(graph, core, where=where, field_path="spec.workflow_version")
    assert (diag.location, diag.field_path) == (where, "spec.workflow_version")
    assert diag.message.startswith(f'{graph.source}: node "77" (LTXVImgToVideo')


@pytest.mark.parametrize("name", sorted(p.name for p in (DATA / "workflows").glob("*__*.json")))
def test_every_other_fixture_has_its_required_inputs(name: str, core: ObjectInfo) -> None:
    expected = ['"77".inputs.strength'] if name == LTXV else []
    assert [d.field_path for d in validate_required_inputs(workflow(name), core)] == expected


@pytest.mark.skipif(not (SHARED / "object_info" / "comfyui-0.3.64-core.json").is_file(), reason="no ../shared")
def test_the_full_catalogue_gives_the_same_verdicts(core: ObjectInfo) -> None:
    full, _ = load_object_info_file(SHARED / "object_info" / "comfyui-0.3.64-core.json")
    assert full is not None
    for path in sorted((SHARED / "workflows").glob("*.json")):
        graph, _ = load_workflow_file(path)
        assert graph is not None
        expected = [(n.id, s.name) for n, s in missing_required_inputs(graph, core)]
        assert [(n.id, s.name) for n, s in missing_required_inputs(graph, full)] == expected, path.name


INFO = parse_object_info({
    "Source": {"input": {"required": {"seed": ["INT", {"default": 0}]}}, "output": ["INT"]},
    "Sink": {
        "input": {
            "required": {"value": ["INT", {}], "mode": [["a", "b"], {}], "grow": ["COMFY_AUTOGROW_V3", {}]},
            "optional": {"extra": ["INT", {"default": 3}]},
            "hidden": {"prompt": "PROMPT"},
        },
        "output_node": True,
    },
})  # fmt: skip


def graph_of(nodes: dict[str, Any]) -> WorkflowGraph:
    return parse_workflow(nodes, source="built.json")


def test_links_count_and_optional_hidden_and_dynamic_inputs_do_not() -> None:
    graph = graph_of({
        "1": {"class_type": "Source", "inputs": {"seed": 1}},
        "2": {"class_type": "Sink", "inputs": {"value": ["1", 0], "mode": "a"}},
    })  # fmt: skip
    assert missing_required_inputs(graph, INFO) == []


def test_missing_combo_input_without_default_shows_its_type() -> None:
    graph = graph_of({"2": {"class_type": "Sink", "inputs": {"value": 1}, "_meta": {"title": "Out"}}})
    (diag,) = validate_required_inputs(graph, INFO)
    assert diag.message.startswith('node "2" (Sink "Out"): required input "mode" (COMBO) is missing')


def test_a_node_no_output_needs_is_not_run_so_not_checked() -> None:
    graph = graph_of({
        "1": {"class_type": "Source", "inputs": {}},  # dangling: ComfyUI never runs it
        "2": {"class_type": "Sink", "inputs": {"value": 5, "mode": "b"}},
    })  # fmt: skip
    assert missing_required_inputs(graph, INFO) == []
    fed = graph_of({
        "1": {"class_type": "Source", "inputs": {}},
        "2": {"class_type": "Sink", "inputs": {"value": ["1", 0], "mode": "b"}},
    })  # fmt: skip
    assert [(n.id, s.name) for n, s in missing_required_inputs(fed, INFO)] == [("1", "seed")]


def test_every_node_is_checked_when_a_class_is_unknown_or_nothing_is_an_output() -> None:
    unknown = graph_of({
        "1": {"class_type": "Source", "inputs": {}},
        "2": {"class_type": "Sink", "inputs": {"value": 5, "mode": "b"}},
        "3": {"class_type": "MaybeAnOutput", "inputs": {}},
    })  # fmt: skip
    assert [(n.id, s.name) for n, s in missing_required_inputs(unknown, INFO)] == [("1", "seed")]
    no_output = graph_of({"1": {"class_type": "Source", "inputs": {}}})
    assert [(n.id, s.name) for n, s in missing_required_inputs(no_output, INFO)] == [("1", "seed")]
