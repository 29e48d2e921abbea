"""Checking RunComfy override presets against a workflow and, when known, its ``/object_info``.

Pure: takes parsed values, returns :class:`~reconciler.diagnostics.Diagnostic` values, never raises
on odd input. An override set is ``{node_id: {input_name: value}}`` (the manifest's
``{"inputs": {...}}`` level already removed). Each overridden input yields at most one problem, so
one mistake is reported once. Values follow :mod:`.values` (stricter than the ComfyUI backend on
purpose, because RunComfy asks for values in the workflow's exact formats). A two-item list is a
link to ComfyUI: the node's own link again is no change, another link is judged by :mod:`.links`.
The workflow as the overrides leave it is then checked as ComfyUI checks a prompt
(:mod:`.prompt`). The README section "What validate checks" lists every rule.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from reconciler.diagnostics import Diagnostic, Location, Severity, did_you_mean
from reconciler.workflow.choices import one_item_hint
from reconciler.workflow.graph import WorkflowGraph, WorkflowNode, is_link
from reconciler.workflow.graph import show_value as _show
from reconciler.workflow.links import IDS_HINT, WRAP_HINT, link_problem
from reconciler.workflow.media import guess_media_kind
from reconciler.workflow.object_info import InputKind, InputSpec, NodeClass, ObjectInfo
from reconciler.workflow.prompt import validate_workflow
from reconciler.workflow.values import Node, Problem, check_spec_value, media_value

Locator = Callable[[str, str | None], Location | None]
"""``locate(node_id, input_name)``: where the manifest sets that override (input None: the node)."""

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _nowhere(node_id: str, input_name: str | None) -> Location | None:
    return None


def validate_overrides(
    overrides: Mapping[str, Mapping[str, Any]],
    graph: WorkflowGraph,
    *,
    object_info: ObjectInfo | None = None,
    locate: Locator = _nowhere,
    context: str = "",
    whole_workflow: bool = True,
) -> list[Diagnostic]:
    """Every problem with ``overrides`` applied to ``graph``, in override order.

    ``context`` is the field path of the overrides mapping in the manifest (default
    ``spec.overrides``); each diagnostic's ``field_path`` extends it, e.g.
    ``spec.overrides."31".inputs.seed``. Without ``object_info`` only the graph is checked (ids,
    input names, links, media values of known loaders); with it, values and link types are checked
    too. Unless ``whole_workflow`` is False (for callers that check one layer of several and then
    the workflow once), the graph with the overrides applied is checked as ComfyUI checks a prompt
    (:func:`~.prompt.validate_workflow`: classes, outputs, links, loops, values, required inputs).
    """
    root = context or "spec.overrides"
    diagnostics: list[Diagnostic] = []
    for raw_id, inputs in overrides.items():
        node_id = str(raw_id)
        node_path = f"{root}.{json.dumps(node_id, ensure_ascii=False)}"
        node = graph.node(node_id)
        if node is None:
            diagnostics.append(_unknown_node(node_id, graph, locate(node_id, None), node_path))
            continue
        if not isinstance(inputs, Mapping):
            message = f"{node.label()}: expected a mapping of input names to values, got {_show(inputs)}"
            diagnostics.append(Diagnostic(message, locate(node_id, None), f"{node_path}.inputs"))
            continue
        node_class = object_info.get(node.class_type) if object_info is not None else None
        for raw_name, value in inputs.items():
            name = str(raw_name)
            problem = _check_input(graph, node, name, value, node_class, object_info)
            if problem is not None:
                key = name if _PLAIN_KEY.fullmatch(name) else json.dumps(name, ensure_ascii=False)
                sep = " " if problem.text.startswith(("is ", "takes ")) else ": "
                diagnostics.append(
                    Diagnostic(
                        f"{node.label()}: input {json.dumps(name, ensure_ascii=False)}{sep}{problem.text}",
                        locate(node_id, name),
                        f"{node_path}.inputs.{key}",
                        hint=problem.hint,
                        severity=problem.severity,
                    )
                )
    if whole_workflow:
        diagnostics += validate_workflow(graph, object_info, _mappings(overrides))
    return diagnostics


def _mappings(overrides: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(k): v for k, v in overrides.items() if isinstance(v, Mapping)}


def merge_overrides(*layers: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Merge override layers left to right: per node, per input, the later layer wins.

    Pure and deterministic: nodes keep the order of their first appearance, and values are deep
    copies, so the result shares nothing with the layers.
    """
    merged: dict[str, dict[str, Any]] = {}
    for layer in layers:
        for node_id, inputs in layer.items():
            target = merged.setdefault(node_id, {})
            for name, value in inputs.items():
                target[name] = copy.deepcopy(value)
    return merged


def _workflow_named(source: str) -> str:
    """``source`` as a noun phrase: ``the workflow wf.json``, ``the deployed workflow of 'x'``."""
    if not source:
        return "the workflow"
    return f"the {source}" if source.startswith("deployed workflow") else f"the workflow {source}"


def _unknown_node(node_id: str, graph: WorkflowGraph, where: Location | None, path: str) -> Diagnostic:
    subgraph = [i for i in graph.ids if i.endswith(f":{node_id}")]
    suggestion = f"did you mean {subgraph[0]!r}?" if len(subgraph) == 1 else did_you_mean(node_id, graph.ids)
    return Diagnostic(
        f"node {json.dumps(node_id, ensure_ascii=False)} is not in {_workflow_named(graph.source)}",
        where,
        path,
        hint=f"{suggestion} {IDS_HINT}" if suggestion else IDS_HINT,
    )


def _check_input(
    graph: WorkflowGraph,
    node: WorkflowNode,
    name: str,
    value: Any,
    node_class: NodeClass | None,
    object_info: ObjectInfo | None,
) -> Problem | None:
    """The one problem (if any) with overriding ``node.inputs[name]`` with ``value``."""
    if node_class is not None and name in node_class.hidden:
        return Problem("is a hidden input that the server fills in; it cannot be overridden")
    spec = node_class.inputs.get(name) if node_class is not None else None
    if name not in node.inputs and spec is None:
        return _missing_input(node, name, node_class)
    link = node.link(name)
    if isinstance(value, list) and len(value) == 2:
        return _link_override(graph, node, name, value, spec, object_info)
    if link is not None:
        source = graph.node(link.node_id)
        feeder = source.label() if source else f"node {json.dumps(link.node_id)} (missing from the workflow)"
        return Problem(
            f"is connected to output {link.output_index} of {feeder}; a value would cut that connection",
            hint=f"override an input of node {json.dumps(link.node_id)} instead" if source else "",
        )
    if value is None:
        return Problem("null is not a value", hint="remove the override to keep the workflow's value")
    if isinstance(value, dict) and "__value__" in value:
        value = value["__value__"]
    elif isinstance(value, list):
        if len(value) == 1 and spec is not None and spec.kind is InputKind.COMBO:
            hint = one_item_hint(value, spec.options, multiselect=spec.multiselect)
            return Problem(f"{_show(value)} is a list", hint)
        return Problem(f"{_show(value)} is a bare list", WRAP_HINT)
    media = spec.media if spec is not None else None
    if node_class is None:
        media = guess_media_kind(node.class_type, name)
    if media is not None:
        return media_value(media, spec, value, Node(node.class_type, object_info))
    if spec is None:
        if node_class is None:
            return None
        return Problem(
            f"is not declared by {node.class_type} in object_info; ComfyUI ignores the value",
            severity=Severity.WARNING,
        )
    return check_spec_value(spec, value, Node(node.class_type, object_info))


def _link_override(
    graph: WorkflowGraph,
    node: WorkflowNode,
    name: str,
    value: list[Any],
    spec: InputSpec | None,
    object_info: ObjectInfo | None,
) -> Problem | None:
    """A two-item list is a link to ComfyUI: the node's own link again, or a rewiring judged as a link."""
    current = node.inputs.get(name)
    if is_link(current) and is_link(value) and current == value and type(current[1]) is type(value[1]):
        return None  # the link the node already has (a copied inputs block): no change
    found = link_problem(value, graph, spec, object_info)
    if found is None:
        return None
    hint = found.hint
    if spec is not None and spec.kind not in (InputKind.SOCKET, InputKind.ANY) and WRAP_HINT not in hint:
        hint = f"{hint}; {WRAP_HINT}" if hint else WRAP_HINT
    return Problem(found.text, hint)


def _missing_input(node: WorkflowNode, name: str, node_class: NodeClass | None) -> Problem:
    names = set(node.inputs)
    if node_class is not None:
        names |= set(node_class.inputs)
    suggestion = did_you_mean(name, names)
    if not suggestion and names:
        listed = ", ".join(sorted(names)[:12]) + (", ..." if len(names) > 12 else "")
        suggestion = f"its inputs are: {listed}"
    if node_class is None:
        note = "optional inputs absent from the workflow are known only from object_info"
        suggestion = f"{suggestion}; {note}" if suggestion else note
    return Problem("no such input on this node", hint=suggestion)
