"""Links between nodes, judged as ComfyUI's prompt validation judges them.

Pure. ComfyUI reads any list given to a declared input as a link ``[source node id, output index]``
(``execution.validate_inputs``): a list of another length is ``bad_linked_input``; a source id that is
not a node of the prompt, an index that is not an integer (``"0"``, ``0.0``) or past the end of the
source's ``RETURN_TYPES`` raise inside validation, which refuses the prompt; and the source output's
type must match the input's type (``return_type_mismatch``), as ``validate_node_input`` matches them:
equal, or sharing a member of their comma-separated lists (``"INT,FLOAT"`` takes ``FLOAT``), with
``*`` matching anything (ComfyUI's ``IO.ANY`` and the custom-node ``AnyType`` compare equal to every
type). One stricter rule: a negative index, which Python would count from the end, is refused.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from reconciler.diagnostics import did_you_mean
from reconciler.workflow.graph import WorkflowGraph, show_value
from reconciler.workflow.object_info import InputKind, InputSpec, ObjectInfo

IDS_HINT = 'node ids are the keys of workflow_api.json; ids like "68:8" (subgraph nodes) are normal'
WRAP_HINT = 'ComfyUI reads a list as a link; to pass a list as a value, wrap it: {"__value__": [...]}'


class LinkProblem(NamedTuple):
    """What is wrong with one link, and what to do about it."""

    text: str
    hint: str = ""


def types_match(received: str, expected: str) -> bool:
    """Whether an output of type ``received`` may feed an input of type ``expected``, as ComfyUI decides.

    Equal types match; ``*`` on either side matches anything; otherwise the comma-separated member
    sets must share a type (``validate_node_input`` without ``strict``).
    """
    if received == expected:
        return True
    got = {part.strip() for part in received.split(",")}
    wanted = {part.strip() for part in expected.split(",")}
    return "*" in got or "*" in wanted or bool(got & wanted)


def link_problem(
    value: list[Any], graph: WorkflowGraph, spec: InputSpec | None, object_info: ObjectInfo | None
) -> LinkProblem | None:
    """The problem with ``value`` read as a link into an input declared by ``spec``; None when it is sound.

    Without ``object_info`` (or when it lacks the source's class) only the shape, the source node and
    the index's type are checked; the index's range and the types need the source's outputs. ``spec``
    None (an input the class does not declare, or an unknown class) skips the type check.
    """
    if len(value) != 2:
        return LinkProblem(
            f"{show_value(value)} is not a link: a link is a two-item list [node id, output index]", WRAP_HINT
        )
    source_id, index = value
    if not isinstance(source_id, str):
        return LinkProblem(
            f"{show_value(value)} links to node {show_value(source_id)}, but node ids are strings",
            f"write [{json.dumps(str(source_id))}, {show_value(index)}]" if _scalar(source_id) else WRAP_HINT,
        )
    source = graph.node(source_id)
    if source is None:
        suggestion = did_you_mean(source_id, graph.ids)
        return LinkProblem(
            f"{show_value(value)} links to node {json.dumps(source_id, ensure_ascii=False)}, "
            "which is not in the workflow",
            f"{suggestion} {IDS_HINT}" if suggestion else IDS_HINT,
        )
    if isinstance(index, bool) or not isinstance(index, int):
        whole = (isinstance(index, float) and index.is_integer()) or (isinstance(index, str) and index.isdigit())
        fix = f"write {int(float(index))}" if whole else "write the output's position, counting from 0"
        how = " without quotes" if isinstance(index, str) else " without a decimal point" if whole else ""
        return LinkProblem(f"the output index {show_value(index)} of {show_value(value)} is not an integer",
                           fix + how)
    if index < 0:
        return LinkProblem(f"the output index {index} of {show_value(value)} is negative",
                           "outputs are counted from 0")
    source_class = object_info.get(source.class_type) if object_info is not None else None
    if source_class is None:
        return None
    outputs = source_class.output
    if index >= len(outputs):
        listing = ", ".join(f"{i} {t}" for i, t in enumerate(outputs))
        has = f"has only {len(outputs)} output{'s' if len(outputs) != 1 else ''} ({listing})" if outputs else (
            "has no outputs")
        return LinkProblem(f"{show_value(value)} links to output {index} of {source.label()}, which {has}")
    if spec is None or spec.kind is InputKind.DYNAMIC:
        return None
    received = outputs[index]
    if spec.kind is InputKind.COMBO and received in ("COMBO", "*"):
        return None  # a list-typed output (a folder's files) feeding a COMBO
    if not types_match(received, spec.type):
        return LinkProblem(
            f"output {index} of {source.label()} is {received}, but this input takes {spec.type}",
            _other_outputs(spec.type, outputs, index),
        )
    return None


def _other_outputs(expected: str, outputs: tuple[str, ...], index: int) -> str:
    fits = [i for i, t in enumerate(outputs) if i != index and types_match(t, expected)]
    if fits:
        return f"output {fits[0]} of that node is {outputs[fits[0]]}: did you mean index {fits[0]}?"
    return f"link an output of type {expected}"


def _scalar(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
