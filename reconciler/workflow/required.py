"""Required inputs: every node ComfyUI runs must have each input its object_info lists as ``required``.

Pure. ComfyUI refuses a prompt whose executed nodes lack a required input (``required_input_missing``),
whatever default the input has; an old export of a node that has since gained an input can never
run. ComfyUI executes (and validates) only the nodes an output node depends on, so a dangling node
is not checked either, unless some class is missing from object_info (it might be an output node).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from reconciler.diagnostics import Diagnostic, Location, Severity
from reconciler.workflow.graph import WorkflowGraph, WorkflowNode, show_value
from reconciler.workflow.object_info import InputKind, InputSpec, ObjectInfo
from reconciler.workflow.reach import executed_nodes

REEXPORT_HINT = "re-export the workflow from the deployment's ComfyUI (Export (API))"

Overrides = Mapping[str, Mapping[str, Any]]


def missing_required_inputs(
    graph: WorkflowGraph, object_info: ObjectInfo, overrides: Overrides | None = None
) -> list[tuple[WorkflowNode, InputSpec]]:
    """Each (node, input) ComfyUI would report as ``required_input_missing``, in file order.

    An input counts as present when the workflow gives it a value or a link, or ``overrides`` set it.
    """
    supplied = overrides or {}
    missing: list[tuple[WorkflowNode, InputSpec]] = []
    for node in executed_nodes(graph, object_info):
        node_class = object_info.get(node.class_type)
        if node_class is None:
            continue
        given = supplied.get(node.id)
        for spec in node_class.inputs.values():
            if not spec.required or spec.kind is InputKind.DYNAMIC or spec.name in node.inputs:
                continue
            if isinstance(given, Mapping) and spec.name in given:
                continue
            missing.append((node, spec))
    return missing


def validate_required_inputs(
    graph: WorkflowGraph,
    object_info: ObjectInfo,
    overrides: Overrides | None = None,
    *,
    where: Location | None = None,
    field_path: str = "",
    warn_supplied: bool = False,
) -> list[Diagnostic]:
    """Errors for required inputs missing once ``overrides`` are applied.

    With ``warn_supplied``, inputs the workflow lacks but the overrides supply are warnings: a request
    without those overrides would be refused. By default each problem points at the workflow
    (``graph.source``) and the node's input there (``"77".inputs.strength``); a caller that knows
    better passes ``where`` and ``field_path``, and the message then starts with the workflow's name.
    """
    problems = [
        _problem(graph, node, spec, where, field_path, Severity.ERROR)
        for node, spec in missing_required_inputs(graph, object_info, overrides)
    ]
    if overrides and warn_supplied:
        still_missing = {(node.id, spec.name) for node, spec in missing_required_inputs(graph, object_info, overrides)}
        problems += [
            _problem(graph, node, spec, where, field_path, Severity.WARNING)
            for node, spec in missing_required_inputs(graph, object_info)
            if (node.id, spec.name) not in still_missing
        ]
    return problems


def describe(spec: InputSpec) -> str:
    """``"strength" (FLOAT, default 1.0)``: an input's name, type and default for messages."""
    details = spec.type if spec.default is None else f"{spec.type}, default {show_value(spec.default)}"
    return f"{json.dumps(spec.name, ensure_ascii=False)} ({details})"


def _problem(
    graph: WorkflowGraph,
    node: WorkflowNode,
    spec: InputSpec,
    where: Location | None,
    field_path: str,
    severity: Severity,
) -> Diagnostic:
    if severity is Severity.ERROR:
        text = f"{node.label()}: required input {describe(spec)} is missing; ComfyUI refuses the prompt"
    else:
        text = (
            f"{node.label()}: the workflow lacks the required input {describe(spec)}; these overrides "
            "set it, but a request that does not is refused"
        )
    if where is None and graph.source:
        where = Location(graph.source)
        field_path = f"{json.dumps(node.id, ensure_ascii=False)}.inputs.{spec.name}"
    elif graph.source:
        text = f"{graph.source}: {text}"
    return Diagnostic(text, where, field_path, hint=REEXPORT_HINT, severity=severity)
