"""Checking RunComfy override presets against a workflow and, when known, its ``/object_info``.

Pure: takes parsed values, returns :class:`~reconciler.diagnostics.Diagnostic` values, never raises
on odd input. An override set is ``{node_id: {input_name: value}}`` (the manifest's
``{"inputs": {...}}`` level already removed). Each overridden input yields at most one problem, so
one mistake is reported once. The rules follow FORMATS.md section 6; the ComfyUI backend is laxer
in places (``int("512")``, ``bool("false")``) and those cases are rejected here on purpose, because
RunComfy asks for values in the workflow's exact formats. With object_info, the workflow as the
overrides leave it is also checked for missing required inputs (:mod:`.required`), and values of
file-list inputs follow :mod:`.file_lists`. The README section "What validate checks" lists every rule.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from reconciler.diagnostics import Diagnostic, Location, Severity, did_you_mean
from reconciler.workflow.file_lists import certain_mistake, lists_holding, missing_hint
from reconciler.workflow.file_lists import show_value as _show
from reconciler.workflow.graph import WorkflowGraph, WorkflowNode, is_link
from reconciler.workflow.media import check_media_value, guess_media_kind
from reconciler.workflow.object_info import PRIMITIVES, InputKind, InputSpec, NodeClass, ObjectInfo
from reconciler.workflow.required import validate_required_inputs

Locator = Callable[[str, str | None], Location | None]
"""``locate(node_id, input_name)``: where the manifest sets that override (input None: the node)."""

_EXACT_FLOAT_INTS = 2**53
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_IDS_HINT = 'node ids are the keys of workflow_api.json; ids like "68:8" (subgraph nodes) are normal'


class _Problem(NamedTuple):
    text: str
    hint: str = ""
    severity: Severity = Severity.ERROR


class _Node(NamedTuple):
    """The node an input belongs to, and the catalogue, for rules that look beyond one spec."""

    class_type: str
    object_info: ObjectInfo | None


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
    input names, links, media values of known loaders); with it, values are type-checked too,
    each node class it lacks is reported once, as a warning, and (unless ``whole_workflow`` is
    False, for callers that check one layer of several) the graph with the overrides applied must
    have every required input (:func:`~.required.validate_required_inputs`).
    """
    root = context or "spec.overrides"
    diagnostics: list[Diagnostic] = []
    warned_classes: set[str] = set()
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
        if object_info is not None and node_class is None and node.class_type not in warned_classes:
            warned_classes.add(node.class_type)
            diagnostics.append(_unknown_class(node, locate(node_id, None), node_path))
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
    if whole_workflow and object_info is not None:
        diagnostics += validate_required_inputs(graph, object_info, _mappings(overrides))
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
        hint=f"{suggestion} {_IDS_HINT}" if suggestion else _IDS_HINT,
    )


def _unknown_class(node: WorkflowNode, where: Location | None, path: str) -> Diagnostic:
    return Diagnostic(
        f"{node.label()}: node class {node.class_type!r} is not in object_info; values are not type-checked",
        where,
        path,
        hint="install the custom node on the deployment's machine, or refresh the cached object_info",
        severity=Severity.WARNING,
    )


def _check_input(
    graph: WorkflowGraph,
    node: WorkflowNode,
    name: str,
    value: Any,
    node_class: NodeClass | None,
    object_info: ObjectInfo | None,
) -> _Problem | None:
    """The one problem (if any) with overriding ``node.inputs[name]`` with ``value``."""
    if node_class is not None and name in node_class.hidden:
        return _Problem("is a hidden input that the server fills in; it cannot be overridden")
    link = node.link(name)
    if link is not None:
        source = graph.node(link.node_id)
        feeder = source.label() if source else f"node {json.dumps(link.node_id)} (missing from the workflow)"
        return _Problem(
            f"is connected to output {link.output_index} of {feeder}; an override would cut that connection",
            hint=f"override an input of node {json.dumps(link.node_id)} instead" if source else "",
        )
    spec = node_class.inputs.get(name) if node_class is not None else None
    if name not in node.inputs and spec is None:
        return _missing_input(node, name, node_class)
    if value is None:
        return _Problem("null is not a value", hint="remove the override to keep the workflow's value")
    if isinstance(value, dict) and "__value__" in value:
        value = value["__value__"]
    elif isinstance(value, list):
        what = "looks like a link; overrides cannot rewire the graph" if is_link(value) else "is a bare list"
        hint = 'ComfyUI reads a list as a link; wrap lists as {"__value__": [...]}'
        return _Problem(f"{_show(value)} {what}", hint=hint)
    media = spec.media if spec is not None else None
    if node_class is None:
        media = guess_media_kind(node.class_type, name)
    if media is not None:
        known = spec.options if spec is not None and spec.options else ()
        found = check_media_value(value, media, known_files=known)
        if found is not None and found.severity is Severity.WARNING and spec is not None:
            certain = _file_choice(spec, value, _Node(node.class_type, object_info))
            if certain is not None:
                return certain
        return _Problem(found.message, found.hint, found.severity) if found else None
    if spec is None:
        if node_class is None:
            return None
        return _Problem(
            f"is not declared by {node.class_type} in object_info; ComfyUI ignores the value",
            severity=Severity.WARNING,
        )
    return _check_value(spec, value, _Node(node.class_type, object_info))


def _missing_input(node: WorkflowNode, name: str, node_class: NodeClass | None) -> _Problem:
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
    return _Problem("no such input on this node", hint=suggestion)


def _check_value(spec: InputSpec, value: Any, node: _Node) -> _Problem | None:
    """The problem (if any) with ``value`` (already unwrapped) for a declared, non-media input."""
    kind = spec.kind
    if kind in (InputKind.ANY, InputKind.CUSTOM, InputKind.DYNAMIC):
        return None
    if kind is InputKind.SOCKET:
        return _Problem(f"takes only a connection of type {spec.type}, not a value")
    if kind is InputKind.MULTI:
        primitives = [t for t in spec.types if t in PRIMITIVES and t != "COMBO"]
        if not primitives:
            return _Problem(f"takes only a connection of type {spec.type}, not a value")
        if any(_check_kind(InputKind(t), spec, value, node) is None for t in primitives):
            return None
        return _Problem(f"expected a value of type {' or '.join(primitives)}, got {_show(value)}")
    return _check_kind(kind, spec, value, node)


def _check_kind(kind: InputKind, spec: InputSpec, value: Any, node: _Node) -> _Problem | None:
    if kind is InputKind.INT:
        return _check_int(spec, value)
    if kind is InputKind.FLOAT:
        return _check_float(spec, value)
    if kind is InputKind.BOOLEAN:
        if isinstance(value, bool):
            return None
        hint = "write true or false without quotes; ComfyUI reads any non-empty string as true"
        return _Problem(f"expected true or false, got {_show(value)}", hint if isinstance(value, str) else "")
    if kind is InputKind.STRING:
        if isinstance(value, str):
            return None
        return _Problem(f"expected a string, got {_show(value)}", "quote it" if _is_number(value) else "")
    return _check_combo(spec, value, node)


def _check_int(spec: InputSpec, value: Any) -> _Problem | None:
    if not _is_number(value):
        hint = "write the number without quotes" if isinstance(value, str) and _numeric(value) else ""
        return _Problem(f"expected an integer, got {_show(value)}", hint)
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return _Problem(f"expected an integer, got {_show(value)}", "ComfyUI would silently truncate it")
        if abs(value) > _EXACT_FLOAT_INTS:
            return _Problem(
                f"{_show(value)} is a float too large to be an exact integer",
                hint="write the integer without a decimal point or exponent",
            )
        value = int(value)
    return _check_bounds(spec, value)


def _check_float(spec: InputSpec, value: Any) -> _Problem | None:
    if not _is_number(value):
        hint = "write the number without quotes" if isinstance(value, str) and _numeric(value) else ""
        return _Problem(f"expected a number, got {_show(value)}", hint)
    if isinstance(value, float) and not math.isfinite(value):
        return _Problem(f"expected a finite number, got {_show(value)}")
    return _check_bounds(spec, value)


def _check_bounds(spec: InputSpec, value: int | float) -> _Problem | None:
    if spec.min is not None and value < spec.min:
        return _Problem(f"{_show(value)} is below the minimum {_show(spec.min)}")
    if spec.max is not None and value > spec.max:
        return _Problem(f"{_show(value)} is above the maximum {_show(spec.max)}")
    return None


def _check_combo(spec: InputSpec, value: Any, node: _Node) -> _Problem | None:
    if spec.options is None:
        return None
    options = spec.options
    if spec.multiselect and isinstance(value, list):
        missing = [v for v in value if not _in_options(v, options)]
        value = missing[0] if missing else None
        if not missing:
            return None
    elif _in_options(value, options):
        return None
    if spec.file_list:
        certain = _file_choice(spec, value, node)
        if certain is not None:
            return certain
        elsewhere = _elsewhere(spec, value, node)
        return _Problem(
            f"{_show(value)} is not in this machine's list; models differ per machine",
            hint=missing_hint(value, [], elsewhere) if elsewhere else (
                "make sure the deployment's machine has that file, or refresh the cached object_info"
            ),
            severity=Severity.WARNING,
        )
    strings = [o for o in options if isinstance(o, str)]
    suggestion = did_you_mean(value, strings) if isinstance(value, str) else ""
    shown = ", ".join(_show(o) for o in options[:20])
    if len(options) > 20:
        shown += f", ... ({len(options)} options)"
    return _Problem(f"{_show(value)} is not one of {shown or '(no options)'}", suggestion)


def _file_choice(spec: InputSpec, value: Any, node: _Node) -> _Problem | None:
    """The error for a value of a file-list input that is certainly wrong (see :mod:`.file_lists`)."""
    if spec.options is None or node.object_info is None:
        return None
    found = certain_mistake(
        value,
        spec.options,
        authoritative=node.object_info.from_deployment,
        elsewhere=_elsewhere(spec, value, node),
    )
    if found is None:
        return None
    hint = found.hint
    if spec.media is not None and not hint.startswith("did you mean"):
        hint = f"{hint}; or give an https URL or a data:{spec.media.value}/...;base64, URI to upload it"
    return _Problem(found.message, hint, found.severity)


def _elsewhere(spec: InputSpec, value: Any, node: _Node) -> list[str]:
    if not isinstance(value, str) or node.object_info is None:
        return []
    return lists_holding(node.object_info, value, besides=(node.class_type, spec.name))


def _in_options(value: Any, options: tuple[Any, ...]) -> bool:
    """Membership by JSON type and value: ``6 == 6.0`` but ``"6" != 6`` and ``true != 1``."""
    for option in options:
        if isinstance(option, dict):
            option = option.get("content")
        if isinstance(option, bool) or isinstance(value, bool):
            if isinstance(option, bool) and isinstance(value, bool) and option is value:
                return True
        elif _is_number(option) and _is_number(value):
            if option == value:
                return True
        elif isinstance(option, str) and isinstance(value, str) and option == value:
            return True
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
