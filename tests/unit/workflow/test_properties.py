"""Properties: merging presets is associative with the last layer winning; validation never raises."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.diagnostics import Diagnostic
from reconciler.workflow import (
    ObjectInfo,
    load_object_info_file,
    load_workflow_file,
    merge_overrides,
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
