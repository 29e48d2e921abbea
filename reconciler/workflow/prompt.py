"""The workflow file itself, checked as ComfyUI's prompt validation checks a prompt.

Pure. RunComfy submits a deployment's whole ``workflow_api.json`` (with the request's overrides
applied) on every request, and ComfyUI (``execution.validate_prompt``) refuses it when:

- a node's ``class_type`` is not installed, anywhere in the graph, connected or not;
- no node is an output node (``OUTPUT_NODE``);
- among the nodes it runs (the outputs and what they depend on: :mod:`.reach`), a link is broken or
  of the wrong type (:mod:`.links`), the links loop, a required input is missing (:mod:`.required`),
  or a value breaks its input's schema: it cannot be converted (``int("abc")``), is under the min or
  over the max, or is not among the choices.

Values are judged by ComfyUI's own conversions (``int(20.5)`` passes there, so it passes here); the
override rules, stricter, apply to what presets write (:mod:`.validate`). File lists follow
:mod:`.file_lists`: against the deployment's own object_info a model it lacks is an error, and a
class it lacks too; against a hand-placed one (another machine's) both are warnings that say so, a
model name only when that machine lists some files for the input (an empty list, or one of
placeholders like ``pixel_space``, tells nothing about the deployment), and a near miss stays an
error. Media inputs usually hold placeholders that requests override: a file the deployment's own
input folder lacks is a warning. Inputs the overrides set are judged with the overrides, not here,
so nothing is reported twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from reconciler.diagnostics import Diagnostic, Location, Severity
from reconciler.workflow.graph import OUTPUT_CLASSES, WorkflowGraph, WorkflowNode, is_link, output_nodes
from reconciler.workflow.links import link_problem
from reconciler.workflow.media import split_annotation
from reconciler.workflow.object_info import InputKind, InputSpec, ObjectInfo, looks_like_file
from reconciler.workflow.reach import executed_nodes, find_cycles
from reconciler.workflow.required import REEXPORT_HINT, validate_required_inputs
from reconciler.workflow.values import Problem, check_value

Overrides = Mapping[str, Mapping[str, Any]]

_HAND_PLACED = "a warning, as the object_info is hand-placed, not the deployment's own"


def apply_overrides(graph: WorkflowGraph, overrides: Overrides | None) -> WorkflowGraph:
    """``graph`` as ``overrides`` leave it: each overridden input takes the override's value, as written."""
    if not overrides:
        return graph
    nodes = dict(graph.nodes)
    for node_id, inputs in overrides.items():
        node = nodes.get(str(node_id))
        if node is None or not isinstance(inputs, Mapping):
            continue
        merged = {**node.inputs, **{str(name): value for name, value in inputs.items()}}
        nodes[node.id] = replace(node, inputs=MappingProxyType(merged))
    return replace(graph, nodes=MappingProxyType(nodes))


def validate_workflow(
    graph: WorkflowGraph,
    object_info: ObjectInfo | None = None,
    overrides: Overrides | None = None,
    *,
    where: Location | None = None,
    field_path: str = "",
    warn_supplied: bool = False,
) -> list[Diagnostic]:
    """Every reason ComfyUI would refuse ``graph`` with ``overrides`` applied, as diagnostics.

    Without ``object_info`` only what the graph alone shows is checked: link shapes, source nodes,
    index types and loops. Each problem points at the workflow (``graph.source``) and the node's input
    there (``"3".inputs.steps``); a caller that knows better passes ``where`` and ``field_path``, and
    messages then start with the workflow's name. ``warn_supplied`` is passed to
    :func:`~.required.validate_required_inputs`.
    """
    applied = apply_overrides(graph, overrides)
    overridden = {
        (str(node_id), str(name))
        for node_id, inputs in (overrides or {}).items()
        if isinstance(inputs, Mapping)
        for name in inputs
    }
    report = _Reporter(graph, where, field_path)
    if object_info is not None:
        _unknown_classes(applied, object_info, report)
        _outputs(applied, object_info, report)
    executed = executed_nodes(applied, object_info)
    for node in executed:
        node_class = object_info.get(node.class_type) if object_info is not None else None
        for name, value in node.inputs.items():
            if (node.id, name) in overridden:
                continue
            spec = node_class.inputs.get(name) if node_class is not None else None
            if isinstance(value, list):
                declared = node_class is None or spec is not None
                _link(applied, node, name, value, spec, object_info, report, declared=declared)
            elif spec is not None and object_info is not None:
                _value(node, name, value, spec, object_info, report)
    for loop in find_cycles(applied, executed):
        _loop(applied, loop, report, rewired=any(step in overridden for step in loop))
    diagnostics = report.found
    if object_info is not None:
        diagnostics += validate_required_inputs(
            graph, object_info, overrides, where=where, field_path=field_path, warn_supplied=warn_supplied
        )
    return diagnostics


class _Reporter:
    """Collects diagnostics that point at the workflow, or at the caller's location."""

    def __init__(self, graph: WorkflowGraph, where: Location | None, field_path: str) -> None:
        self.graph = graph
        self.where = where
        self.field_path = field_path
        self.found: list[Diagnostic] = []

    def add(
        self, text: str, path: str, hint: str = "", severity: Severity = Severity.ERROR
    ) -> None:
        where, field_path = self.where, self.field_path
        if where is None and self.graph.source:
            where, field_path = Location(self.graph.source), path
        elif self.graph.source:
            text = f"{self.graph.source}: {text}"
        self.found.append(Diagnostic(text, where, field_path, hint=hint, severity=severity))


def _input_path(node: WorkflowNode, name: str) -> str:
    key = json.dumps(name, ensure_ascii=False) if not name.isidentifier() else name
    return f"{json.dumps(node.id, ensure_ascii=False)}.inputs.{key}"


def _unknown_classes(graph: WorkflowGraph, info: ObjectInfo, report: _Reporter) -> None:
    """Each class not in object_info, once, at its first node: ComfyUI refuses the whole prompt."""
    by_class: dict[str, list[WorkflowNode]] = {}
    for node in graph.nodes.values():
        if node.class_type not in info:
            by_class.setdefault(node.class_type, []).append(node)
    for class_type, nodes in by_class.items():
        first = nodes[0]
        others = ", ".join(json.dumps(n.id, ensure_ascii=False) for n in nodes[1:])
        also = f" (also node{'s' if len(nodes) > 2 else ''} {others})" if others else ""
        path = f"{json.dumps(first.id, ensure_ascii=False)}.class_type"
        hint = "install the custom node on the deployment's machine, or remove the node"
        if info.from_deployment:
            text = (f"{first.label()}: node class {class_type!r} is not in the deployment's object_info{also}; "
                    "ComfyUI refuses the whole prompt")
            report.add(text, path, hint)
        else:
            text = (f"{first.label()}: node class {class_type!r} is not in object_info{also}, so its values and "
                    f"links are not checked; ComfyUI refuses the whole prompt if the deployment lacks it "
                    f"({_HAND_PLACED})")
            report.add(text, path, f"{hint}, or refresh the cached object_info", Severity.WARNING)


def _outputs(graph: WorkflowGraph, info: ObjectInfo, report: _Reporter) -> None:
    """An error when no node is an output node (and no unknown class may be one)."""
    if output_nodes(graph, info):
        return
    if any(n.class_type not in info and n.class_type not in OUTPUT_CLASSES for n in graph.nodes.values()):
        return  # a class object_info lacks may be an output node; it is reported on its own
    report.add(
        "no node is an output node (a class object_info marks output_node, such as SaveImage or PreviewImage); "
        "ComfyUI refuses a prompt without outputs",
        "",
        "add the output node back in ComfyUI and re-export the workflow (Export (API))",
    )


def _link(
    graph: WorkflowGraph,
    node: WorkflowNode,
    name: str,
    value: list[Any],
    spec: InputSpec | None,
    info: ObjectInfo | None,
    report: _Reporter,
    *,
    declared: bool,
) -> None:
    """A list in the file: a link ComfyUI follows, so it must be sound (see :mod:`.links`)."""
    if not declared and (not is_link(value) or graph.node(value[0]) is not None):
        return  # ComfyUI validates only declared inputs; running the node follows a link to a missing node
    found = link_problem(value, graph, spec, info)
    if found is not None:
        text = f"{node.label()}: input {json.dumps(name, ensure_ascii=False)}: {found.text}"
        report.add(text, _input_path(node, name), found.hint or REEXPORT_HINT)


def _value(node: WorkflowNode, name: str, value: Any, spec: InputSpec, info: ObjectInfo, report: _Reporter) -> None:
    """A value written in the file, judged as ComfyUI judges it; file lists as :mod:`.file_lists` says."""
    if spec.media is not None:
        problem = _media(spec, value, node.class_type, info)
    else:
        problem = check_value(spec, value, node.class_type, info)
        if problem is not None and spec.file_list and problem.severity is Severity.WARNING:
            # a hand-placed list is another machine's: worth a warning only when it lists files at all
            listed = any(looks_like_file(option) for option in spec.options or ())
            problem = problem._replace(text=f"{problem.text} ({_HAND_PLACED})") if listed else None
        if problem is not None and not spec.file_list and not _comfy_refuses(spec, value):
            problem = None  # stricter than ComfyUI: the override rules' business, not the exported file's
    if problem is not None:
        text = f"{node.label()}: input {json.dumps(name, ensure_ascii=False)}"
        sep = " " if problem.text.startswith(("is ", "takes ")) else ": "
        report.add(f"{text}{sep}{problem.text}", _input_path(node, name), problem.hint, problem.severity)


def _media(spec: InputSpec, value: Any, class_type: str, info: ObjectInfo) -> Problem | None:
    """A media input's value in the file: usually a placeholder that every request overrides."""
    if isinstance(value, dict) and "__value__" in value:
        value = value["__value__"]
    if isinstance(value, str) and split_annotation(value)[1] is not None:
        return check_value(spec, value, class_type, info)
    if isinstance(value, str) and "://" not in value and not value.startswith("data:"):
        if not info.from_deployment or spec.options is None or value in spec.options:
            return None  # as exported: requests usually override it
        problem = check_value(spec, value, class_type, info)
        if problem is not None and problem.severity is Severity.ERROR:
            return problem._replace(
                text=f"{problem.text}; a request that does not override this input is refused",
                severity=Severity.WARNING,
            )
        return problem
    return None


def _loop(graph: WorkflowGraph, loop: list[tuple[str, str]], report: _Reporter, *, rewired: bool) -> None:
    node_id, name = loop[0]
    node = graph.node(node_id)
    assert node is not None
    chain = " <- ".join(json.dumps(i, ensure_ascii=False) for i in [*(step[0] for step in loop), node_id])
    how = ", as the overrides rewire it" if rewired else ""
    text = (f"{node.label()}: input {json.dumps(name, ensure_ascii=False)} is part of a loop ({chain}){how}; "
            "ComfyUI refuses a prompt whose nodes depend on their own output")
    report.add(text, _input_path(node, name), "remove or rewire one of the links in the loop")


def _comfy_refuses(spec: InputSpec, value: Any) -> bool:
    """Whether ComfyUI's ``validate_inputs`` refuses ``value`` for ``spec`` (its conversions, bounds, choices)."""
    if isinstance(value, dict) and "__value__" in value:
        value = value["__value__"]
    converters: dict[str, Any] = {"INT": int, "FLOAT": float, "STRING": str, "BOOLEAN": bool}
    convert = converters.get(spec.type)
    try:
        if convert is not None:
            value = convert(value)
        if spec.min is not None and value < spec.min:
            return True
        if spec.max is not None and value > spec.max:
            return True
    except (TypeError, ValueError, OverflowError):
        return True
    if spec.kind is not InputKind.COMBO or spec.options is None:
        return False
    options = [o.get("content") if isinstance(o, dict) else o for o in spec.options]
    if spec.multiselect and isinstance(value, list):
        return any(v not in options for v in value)
    try:
        return value not in options
    except TypeError:
        return True
