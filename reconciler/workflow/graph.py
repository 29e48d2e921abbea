"""ComfyUI API-format workflows (``workflow_api.json``) as an immutable graph of nodes.

Pure; :func:`load_workflow_file` reads its one file through :mod:`reconciler.readfile`. The format is
``{"<node id>": {"class_type": str, "inputs": {name: value | [source_id, output_index]},
"_meta": {"title": str}}}``, as ComfyUI's "Save (API)" writes it and its ``/prompt`` endpoint takes it
(the sample graphs in ``tests/data/workflows/`` are real ones). Node ids are
opaque strings (``"68:8"`` is a flattened subgraph node) and are never parsed as numbers.

Envelopes: a ``/prompt`` body ``{"prompt": <graph>, "client_id": ...}`` and a RunPod body
``{"input": {"workflow": <graph>}}`` are unwrapped, because the graph inside is exactly what
ComfyUI runs. A UI export (``nodes``/``links``/``last_node_id``) and a RunComfy ``{"overrides": ...}``
body are refused: neither holds an API graph.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from reconciler import readfile
from reconciler.diagnostics import Diagnostic, Location
from reconciler.errors import DiagnosticsError

if TYPE_CHECKING:
    from reconciler.workflow.object_info import ObjectInfo

OUTPUT_CLASSES: frozenset[str] = frozenset(
    {
        "SaveImage",
        "PreviewImage",
        "VHS_VideoCombine",
        "SaveVideo",
        "SaveAnimatedWEBP",
        "SaveAnimatedPNG",
        "ShowText|pysssss",
    }
)
"""Classes treated as output nodes even without object_info (their ``output_node`` flag)."""

_UI_EXPORT_KEYS = frozenset({"last_node_id", "last_link_id", "nodes", "links", "version"})
_PROMPT_BODY_KEYS = frozenset(
    {"prompt", "client_id", "extra_data", "prompt_id", "front", "number", "partial_execution_targets"}
)
_UI_EXPORT_HINT = 'in ComfyUI use "Export (API)" (enable Dev mode options on older versions)'


@dataclass(frozen=True)
class Link:
    """A connection feeding an input: output ``output_index`` of node ``node_id``."""

    node_id: str
    output_index: int


@dataclass(frozen=True)
class WorkflowNode:
    """One node: its id, class, inputs (values and links as written) and optional title."""

    id: str
    class_type: str
    inputs: Mapping[str, Any]
    title: str | None = None

    def label(self) -> str:
        """How messages name this node: ``node "31" (KSampler "KSampler Base")``."""
        title = f" {json.dumps(self.title, ensure_ascii=False)}" if self.title is not None else ""
        return f"node {json.dumps(self.id, ensure_ascii=False)} ({self.class_type}{title})"

    def link(self, input_name: str) -> Link | None:
        """The link feeding ``input_name``, or None when it holds a value or is absent."""
        value = self.inputs.get(input_name)
        if not isinstance(value, list) or not is_link(value):
            return None
        return Link(node_id=value[0], output_index=int(value[1]))


@dataclass(frozen=True)
class WorkflowGraph:
    """An API-format workflow: nodes by id, in file order, and the file it came from."""

    nodes: Mapping[str, WorkflowNode]
    source: str = field(default="", compare=False)

    def node(self, node_id: str) -> WorkflowNode | None:
        """The node with this id (ids are strings; compare exactly), or None."""
        return self.nodes.get(node_id)

    @property
    def ids(self) -> tuple[str, ...]:
        """Every node id, in file order."""
        return tuple(self.nodes)


class WorkflowFormatError(DiagnosticsError):
    """A document that is not a usable API-format workflow; carries every problem found."""


def is_link(value: Any) -> bool:
    """Whether ``value`` is a link, exactly as ComfyUI's backend (``graph_utils.is_link``) decides.

    A list of length 2 whose first item is a ``str`` and second an ``int`` or ``float``. Like the
    backend this accepts ``["4", 1.0]`` (and ``["4", True]``, bool being an int); tuples and
    ``{"__value__": [...]}`` wrappers are values, not links.
    """
    return (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], int | float)
    )


def parse_workflow(data: Any, *, source: str) -> WorkflowGraph:
    """Build a :class:`WorkflowGraph` from parsed JSON; raise :class:`WorkflowFormatError` if unusable.

    ``source`` names the file in messages. Envelopes are handled as the module docstring says.
    Every node problem (not an object, no ``class_type``, ``inputs`` missing or not an object) is
    collected before raising.
    """
    loc = Location(source)
    graph_data = _unwrap(data, loc)
    nodes: dict[str, WorkflowNode] = {}
    problems: list[Diagnostic] = []
    for node_id, raw in graph_data.items():
        node, problem = _parse_node(str(node_id), raw, loc)
        if problem is not None:
            problems.append(problem)
        elif node is not None:
            nodes[node.id] = node
    if problems:
        raise WorkflowFormatError(problems, f"{source}: not a valid API-format workflow")
    return WorkflowGraph(nodes=MappingProxyType(nodes), source=source)


def load_workflow_file(path: str | Path) -> tuple[WorkflowGraph | None, list[Diagnostic]]:
    """Read and parse a ``workflow_api.json``: the graph, or None and the problems found.

    Unreadable files and invalid JSON (reported at its line and column) are problems, not exceptions.
    """
    source = str(path)
    try:
        text = readfile.read_text(Path(path), limit=readfile.WORKFLOW_LIMIT, encoding="utf-8-sig")
    except readfile.FileProblem as problem:
        return None, [Diagnostic(f"cannot read workflow file: {problem.message}", Location(source), hint=problem.hint)]
    try:
        data = readfile.parse_json(text)
    except json.JSONDecodeError as exc:
        where = Location(source, exc.lineno, exc.colno)
        hint = "the file must be a workflow_api.json"
        return None, [Diagnostic(f"invalid JSON: {exc.msg}", where, hint=hint)]
    except ValueError as exc:
        return None, [Diagnostic(f"invalid JSON: {exc}", Location(source), hint="the file must be a workflow_api.json")]
    try:
        return parse_workflow(data, source=source), []
    except WorkflowFormatError as exc:
        return None, list(exc.diagnostics)


def output_nodes(graph: WorkflowGraph, object_info: ObjectInfo | None = None) -> tuple[WorkflowNode, ...]:
    """The nodes ComfyUI treats as outputs, in file order.

    Known output classes (:data:`OUTPUT_CLASSES`), plus any class object_info marks ``output_node``.
    """

    def is_output(class_type: str) -> bool:
        if class_type in OUTPUT_CLASSES:
            return True
        node_class = object_info.get(class_type) if object_info is not None else None
        return node_class is not None and node_class.output_node

    return tuple(node for node in graph.nodes.values() if is_output(node.class_type))


def _unwrap(data: Any, loc: Location) -> Mapping[str, Any]:
    """The API graph inside ``data``, unwrapping envelopes; raise for anything that is not one."""

    def refuse(message: str, hint: str = "") -> WorkflowFormatError:
        return WorkflowFormatError([Diagnostic(message, loc, hint=hint)], f"{loc.path}: {message}")

    if not isinstance(data, dict):
        raise refuse(
            f"{loc.path} is a JSON {json_kind(data)}, not an API-format workflow (an object of nodes)",
            hint='in ComfyUI use "Export (API)"',
        )
    if not _looks_like_node_map(data):
        if isinstance(data.get("nodes"), list) or ("last_node_id" in data and _UI_EXPORT_KEYS & set(data)):
            raise refuse(f"{loc.path} is a ComfyUI UI export, not an API-format workflow", _UI_EXPORT_HINT)
        inner = data.get("prompt")
        if isinstance(inner, dict) and set(data) <= _PROMPT_BODY_KEYS:
            return _unwrap(inner, loc)
        envelope = data.get("input")
        workflow = envelope.get("workflow") if isinstance(envelope, dict) else None
        if isinstance(workflow, dict) and set(data) == {"input"}:
            return _unwrap(workflow, loc)
        if isinstance(data.get("overrides"), dict):
            raise refuse(
                f"{loc.path} is a RunComfy overrides body, not a workflow",
                hint="point workflow_file at the deployment's workflow_api.json",
            )
    if not data:
        raise refuse(f"{loc.path} has no nodes")
    return data


def _looks_like_node_map(data: dict[str, Any]) -> bool:
    """Whether every value is an object with a ``class_type`` (then no key is an envelope key)."""
    return bool(data) and all(isinstance(v, dict) and "class_type" in v for v in data.values())


def _parse_node(node_id: str, raw: Any, loc: Location) -> tuple[WorkflowNode | None, Diagnostic | None]:
    where = f"node {json.dumps(node_id, ensure_ascii=False)}"
    path = json.dumps(node_id, ensure_ascii=False)
    if not isinstance(raw, dict):
        return None, Diagnostic(f"{where} is a JSON {json_kind(raw)}, not a node object", loc, path)
    class_type = raw.get("class_type")
    if not isinstance(class_type, str) or not class_type:
        return None, Diagnostic(
            f'{where} has no "class_type"',
            loc,
            f"{path}.class_type",
            hint="every node needs the name of its ComfyUI node class",
        )
    inputs = raw.get("inputs")
    if not isinstance(inputs, dict):
        got = "no" if inputs is None and "inputs" not in raw else f"a JSON {json_kind(inputs)} as"
        return None, Diagnostic(
            f'{where} ({class_type}) has {got} "inputs", expected an object', loc, f"{path}.inputs"
        )
    meta = raw.get("_meta")
    title = meta.get("title") if isinstance(meta, dict) else None
    node = WorkflowNode(
        id=node_id,
        class_type=class_type,
        inputs=MappingProxyType(copy.deepcopy(inputs)),
        title=title if isinstance(title, str) and title else None,
    )
    return node, None


def json_kind(value: Any) -> str:
    """How JSON calls the type of ``value`` (for messages: "got a JSON array")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


def show_value(value: Any, limit: int = 60) -> str:
    """A short JSON rendering of ``value`` for messages (data URIs and long prompts are cut)."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
