"""Properties: merging presets is associative with the last layer winning; validation never raises."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from reconciler.diagnostics import Diagnostic
from reconciler.workflow import (
    ObjectInfo,
    is_link,
    load_object_info_file,
    load_workflow_file,
    merge_overrides,
    parse_object_info,
    parse_workflow,
    validate_overrides,
)
from reconciler.workflow.graph import WorkflowFormatError

DATA = Path(__file__).resolve().parents[2] / "data"
_GRAPH, _ = load_workflow_file(DATA / "workflows" / "seeded-problems.json")
_INFO, _ = load_object_info_file(DATA / "object_info" / "comfyui-0.3.64-core.trimmed.json")
assert _GRAPH is not None and _INFO is not None
GRAPH = _GRAPH
INFO: ObjectInfo = _INFO

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["https://x.y/a.png", "http://x", "data:image/png;base64,AA==", "data:,", "euler"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=5), inner, max_size=3)
        | st.builds(lambda v: {"__value__": v}, inner)
    ),
    max_leaves=8,
)
node_ids = st.sampled_from(list(GRAPH.ids)) | st.text(max_size=5)
NAMES = ["seed", "cfg", "steps", "sampler_name", "image", "width", "ckpt_name", "text", "prompt", "upload"]
input_names = st.sampled_from([*NAMES, "rotate_pitch", "model"]) | st.text(max_size=6)
layers = st.dictionaries(node_ids, st.dictionaries(input_names, json_values, max_size=4), max_size=4)


@given(layers, layers, layers)
def test_merge_is_associative(a: Any, b: Any, c: Any) -> None:
    assert merge_overrides(merge_overrides(a, b), c) == merge_overrides(a, merge_overrides(b, c))
    assert merge_overrides(a, b, c) == merge_overrides(merge_overrides(a, b), c)


@given(layers, layers)
def test_last_layer_wins_and_nothing_is_lost(a: Any, b: Any) -> None:
    merged = merge_overrides(a, b)
    assert set(merged) == set(a) | set(b)
    for node_id, inputs in merged.items():
        for name, value in inputs.items():
            if name in b.get(node_id, {}):
                assert repr(value) == repr(b[node_id][name])
            else:
                assert name in a[node_id]


@given(layers)
def test_merge_shares_nothing_with_its_layers(a: Any) -> None:
    before = repr(a)
    for inputs in merge_overrides(a).values():
        for value in inputs.values():
            if isinstance(value, list | dict):
                value.clear()
        inputs["added"] = 1
    assert repr(a) == before
    assert merge_overrides() == {}


@settings(max_examples=300)
@given(
    st.dictionaries(
        node_ids, st.dictionaries(input_names, json_values, max_size=4) | json_values, max_size=5
    ),
    st.booleans(),
)
def test_validate_never_raises(overrides: Any, with_info: bool) -> None:
    found = validate_overrides(overrides, GRAPH, object_info=INFO if with_info else None)
    assert all(isinstance(d, Diagnostic) and d.message for d in found)
    # an override's problem points at the override; the workflow's own (with the overrides applied) at the file
    assert all(d.field_path.startswith(("spec.overrides.", '"')) for d in found)


@given(st.dictionaries(st.text(max_size=4), json_values, max_size=4) | json_values)
def test_parse_workflow_raises_only_its_own_error(data: Any) -> None:
    try:
        parse_workflow(data, source="w.json")
    except WorkflowFormatError as err:
        assert err.diagnostics


# A small catalogue for random graphs: typed outputs, a comma-joined input type, an ANY input, an output node.
TOY = parse_object_info({
    "Src": {"input": {"required": {}}, "output": ["MODEL", "CLIP"]},
    "Enc": {"input": {"optional": {"clip": ["CLIP"]}}, "output": ["COND"]},
    "Mix": {"input": {"optional": {"a": ["MODEL,CLIP"], "b": ["*"], "n": ["INT", {"min": 0, "max": 10}]}},
            "output": ["LATENT"]},
    "Out": {"input": {"optional": {"samples": ["LATENT"], "cond": ["COND"]}}, "output": [], "output_node": True},
})  # fmt: skip
TOY_IDS = ["1", "2", "3", "4", "5"]
well_formed = st.tuples(st.sampled_from(TOY_IDS), st.integers(-1, 2) | st.sampled_from([0.0, "1"])).map(list)
links = well_formed | well_formed | st.lists(
    st.sampled_from([*TOY_IDS, "9"]) | st.integers(0, 9) | st.integers(-1, 3) | st.sampled_from(["0", 0.0, 1.0]),
    min_size=1, max_size=3,
)  # fmt: skip
toy_nodes = st.sampled_from(sorted(TOY.classes)).flatmap(lambda class_type: st.fixed_dictionaries({
    "class_type": st.just(class_type),
    "inputs": st.dictionaries(st.sampled_from([*TOY.classes[class_type].inputs, "x"]), links | st.integers(-5, 15),
                              max_size=3),
}))  # fmt: skip
toy_graphs = st.dictionaries(st.sampled_from(TOY_IDS), toy_nodes, min_size=1, max_size=5)


def _reachable_from_outputs(data: dict[str, Any]) -> set[str]:
    """Independently of the code under test: output nodes and every node their links lead to.

    A link is what ComfyUI's executor follows on any input: ``[str, number]``.
    """
    seen: set[str] = set()
    pending = [i for i, n in data.items() if TOY.classes[n["class_type"]].output_node]
    while pending:
        node_id = pending.pop()
        if node_id in seen or node_id not in data:
            continue
        seen.add(node_id)
        pending += [v[0] for v in data[node_id]["inputs"].values() if is_link(v)]
    return seen


@settings(max_examples=400)
@given(toy_graphs)
@example({"1": {"class_type": "Out", "inputs": {"cond": ["2", -1]}}, "2": {"class_type": "Enc", "inputs": {}}})
@example({"1": {"class_type": "Out", "inputs": {"cond": ["2", 0.0]}}, "2": {"class_type": "Enc", "inputs": {}}})
def test_a_graph_that_passes_has_only_sound_typed_links_and_an_output(data: dict[str, Any]) -> None:
    from reconciler.workflow.prompt import validate_workflow

    graph = parse_workflow(data, source="w.json")
    if any(d.is_error for d in validate_workflow(graph, TOY)):
        return
    outputs = [i for i, n in data.items() if TOY.classes[n["class_type"]].output_node]
    assert outputs, "a graph without an output node passed"
    for node_id in _reachable_from_outputs(data):
        node_class = TOY.classes[data[node_id]["class_type"]]
        for name, value in data[node_id]["inputs"].items():
            spec = node_class.inputs.get(name)
            if spec is None or not isinstance(value, list):
                continue
            assert len(value) == 2 and isinstance(value[0], str) and value[0] in data, value
            index = value[1]
            assert type(index) is int and index >= 0, value
            source_outputs = TOY.classes[data[value[0]]["class_type"]].output
            assert index < len(source_outputs), value
            received, expected = source_outputs[index], spec.type
            assert expected == "*" or set(received.split(",")) & set(expected.split(",")), (received, expected)
