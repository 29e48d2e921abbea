"""Reading ComfyUI API graphs (``workflow_api.json``) the way the emulated backend needs to.

Pure functions: check a submit's ``overrides`` against the stored graph (node ids and input keys
must exist; a link input ``[node_id, output_index]`` cannot be replaced by a scalar), apply them,
and read what a run would produce: the image size (first node with scalar ``width`` and
``height``), the batch size, and the output nodes with the channel each one fills
(``images``, ``gifs``, ``audio`` or ``text``, per :mod:`reconciler.workflow.outputs`). Also a tiny
``object_info`` inferred from the graph's values.
"""

from __future__ import annotations

import copy
from typing import Any

from reconciler.workflow import outputs

OutputKind = outputs.Channel

DEFAULT_SIZE = (512, 512)


def is_link(value: Any) -> bool:
    """True for a ComfyUI link ``[node_id, output_index]`` (a two-element ``[str, int]`` list)."""
    return (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], int)
        and not isinstance(value[1], bool)
    )


def graph_problems(graph: Any) -> list[dict[str, Any]]:
    """Why ``graph`` is not an API-format workflow (empty when it is one)."""
    if not isinstance(graph, dict) or not graph:
        return [{"loc": ["workflow_api_json"], "msg": "must be a non-empty object keyed by node id"}]
    problems: list[dict[str, Any]] = []
    for node_id, node in graph.items():
        if not isinstance(node, dict) or not isinstance(node.get("class_type"), str):
            problems.append({"loc": ["workflow_api_json", node_id], "msg": "node needs a string class_type"})
        elif not isinstance(node.get("inputs", {}), dict):
            problems.append({"loc": ["workflow_api_json", node_id, "inputs"], "msg": "inputs must be an object"})
    return problems


def override_problems(graph: dict[str, Any], overrides: Any) -> list[dict[str, Any]]:
    """Why ``overrides`` do not fit ``graph``: unknown nodes or inputs, links replaced by scalars."""
    if not isinstance(overrides, dict):
        return [{"loc": ["body", "overrides"], "msg": "overrides must be an object keyed by node id"}]
    problems: list[dict[str, Any]] = []
    for node_id, override in overrides.items():
        loc: list[Any] = ["body", "overrides", node_id]
        node = graph.get(node_id)
        if node is None:
            problems.append(
                {
                    "loc": loc,
                    "msg": f"node {node_id!r} does not exist in the workflow",
                    "type": "unknown_node",
                }
            )
            continue
        if not isinstance(override, dict) or not isinstance(override.get("inputs"), dict):
            problems.append({"loc": loc, "msg": 'override must be {"inputs": {...}}', "type": "bad_override"})
            continue
        inputs = node.get("inputs", {})
        for key, value in override["inputs"].items():
            if key not in inputs:
                problems.append(
                    {
                        "loc": [*loc, "inputs", key],
                        "type": "unknown_input",
                        "msg": f"node {node_id!r} ({node.get('class_type')}) has no input {key!r}",
                    }
                )
            elif is_link(inputs[key]) and not is_link(value):
                problems.append(
                    {
                        "loc": [*loc, "inputs", key],
                        "type": "link_input",
                        "msg": f"input {key!r} of node {node_id!r} is a link to another node's "
                        "output and cannot be overridden with a value",
                    }
                )
    return problems


def apply_overrides(graph: dict[str, Any], overrides: dict[str, Any] | None) -> dict[str, Any]:
    """A copy of ``graph`` with each override's inputs merged in (overrides assumed valid)."""
    result = copy.deepcopy(graph)
    for node_id, override in (overrides or {}).items():
        result[node_id].setdefault("inputs", {}).update(copy.deepcopy(override["inputs"]))
    return result


def _scalar_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


_PIXEL_INPUTS = ("images", "image", "samples", "latent_image", "latent", "pixels", "video", "frames")
"""Inputs that carry the picture itself; traced first, so a text encoder's width/height is not taken."""


def image_size(graph: dict[str, Any], output_node: str | None = None) -> tuple[int, int]:
    """The size an output node's images have: the nearest upstream node with scalar ``width`` and ``height``
    along picture-carrying inputs, then along any input (else the first such node in the graph, else 512x512)."""
    order: list[str] = []
    if output_node is not None:
        order = _upstream(graph, output_node, _PIXEL_INPUTS) + _upstream(graph, output_node, None)
    for node_id in [*order, *graph]:
        node = graph.get(node_id)
        inputs = node.get("inputs", {}) if isinstance(node, dict) else {}
        width, height = _scalar_int(inputs.get("width")), _scalar_int(inputs.get("height"))
        if width and height and width > 0 and height > 0:
            return width, height
    return DEFAULT_SIZE


def upstream(graph: dict[str, Any], start: str) -> list[str]:
    """``start`` and every node id feeding it (through any input), breadth first."""
    return _upstream(graph, start, None)


def _upstream(graph: dict[str, Any], start: str, only: tuple[str, ...] | None) -> list[str]:
    """Node ids feeding ``start``, breadth first, through the inputs named in ``only`` (or any input)."""
    seen, order = {start}, [start]
    for current in order:  # grows while it is walked: breadth first
        node = graph.get(current)
        inputs = node.get("inputs", {}) if isinstance(node, dict) else {}
        for name, value in inputs.items():
            if only is not None and name not in only:
                continue
            if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str) and value[0] not in seen:
                seen.add(value[0])
                order.append(value[0])
    return order


def batch_size(graph: dict[str, Any]) -> int:
    """The first scalar ``batch_size`` input in the graph, clamped to 1-16 (else 1)."""
    for node in graph.values():
        inputs = node.get("inputs", {}) if isinstance(node, dict) else {}
        value = _scalar_int(inputs.get("batch_size"))
        if value is not None:
            return max(1, min(16, value))
    return 1


def output_kind(class_type: str) -> OutputKind | None:
    """Which result channel a node class fills, or None if it is not an output node."""
    found = outputs.saver(class_type)
    return None if found is None else found.channel


def output_nodes(graph: dict[str, Any]) -> list[tuple[str, OutputKind]]:
    """The graph's output nodes in graph order, each with the channel it fills."""
    found: list[tuple[str, OutputKind]] = []
    for node_id, node in graph.items():
        kind = output_kind(str(node.get("class_type", ""))) if isinstance(node, dict) else None
        if kind is not None:
            found.append((node_id, kind))
    return found


def _spec(value: Any) -> list[Any]:
    if is_link(value):
        return ["*"]
    if isinstance(value, bool):
        return ["BOOLEAN", {"default": value}]
    if isinstance(value, int):
        return ["INT", {"default": value, "min": -(2**63), "max": 2**64 - 1}]
    if isinstance(value, float):
        return ["FLOAT", {"default": value}]
    if isinstance(value, str):
        return ["STRING", {"default": value}]
    return ["*"]


def object_info(graph: dict[str, Any]) -> dict[str, Any]:
    """A small ``/object_info`` for the graph's node classes, inferred from the stored values and links."""
    info: dict[str, Any] = {}
    for node in graph.values():
        class_type = str(node.get("class_type", ""))
        entry = info.setdefault(
            class_type,
            {
                "input": {"required": {}},
                "output": [],
                "name": class_type,
                "display_name": class_type,
                "category": "emulated",
                "output_node": output_kind(class_type) is not None,
            },
        )
        for key, value in node.get("inputs", {}).items():
            entry["input"]["required"].setdefault(key, _spec(value))
    for node in graph.values():  # every output some link reads exists, of any type
        for value in node.get("inputs", {}).values():
            source = graph.get(value[0]) if is_link(value) else None
            if isinstance(source, dict) and int(value[1]) >= 0:
                outputs = info[str(source.get("class_type", ""))]["output"]
                outputs.extend(["*"] * (int(value[1]) + 1 - len(outputs)))
    return info
