"""Which nodes ComfyUI runs, and loops among them.

Pure. ComfyUI validates and executes only the output nodes and the nodes they depend on through
links; a dangling node is neither checked nor run. A loop among the nodes it runs makes validation
recurse without end, so the prompt is refused.
"""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.workflow.graph import WorkflowGraph, WorkflowNode, is_link, output_nodes
from reconciler.workflow.object_info import ObjectInfo


def links_of(node: WorkflowNode) -> Iterator[tuple[str, str]]:
    """``(input name, source node id)`` of every link-shaped input of ``node``, in input order."""
    for name, value in node.inputs.items():
        if is_link(value):
            yield name, value[0]


def executed_nodes(graph: WorkflowGraph, object_info: ObjectInfo | None) -> list[WorkflowNode]:
    """The nodes ComfyUI would run: every output node and what it depends on, in file order.

    All nodes when that cannot be known: without object_info, when some class is not in it (it may
    be an output node), or when no node is an output.
    """
    if object_info is None:
        return list(graph.nodes.values())
    outputs = output_nodes(graph, object_info)
    if not outputs or any(node.class_type not in object_info for node in graph.nodes.values()):
        return list(graph.nodes.values())
    needed: set[str] = set()
    pending = [node.id for node in outputs]
    while pending:
        node_id = pending.pop()
        node = graph.node(node_id)
        if node is None or node_id in needed:
            continue
        needed.add(node_id)
        pending.extend(source for _, source in links_of(node))
    return [node for node in graph.nodes.values() if node.id in needed]


def find_cycles(graph: WorkflowGraph, among: list[WorkflowNode]) -> list[list[tuple[str, str]]]:
    """Each loop through the nodes ``among``, once, as ``[(node id, input name), ...]`` in link order.

    Item ``k`` names a node and the input through which it takes the output of item ``k + 1`` (the
    last item's input takes the first node's output). Iterative, so a long chain cannot exhaust the stack.
    """
    allowed = {node.id for node in among}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[tuple[str, str]]] = []
    for start in among:
        if start.id in state:
            continue
        path: list[tuple[str, str]] = []
        stack: list[tuple[str, Iterator[tuple[str, str]]]] = [(start.id, links_of(start))]
        state[start.id] = 1
        while stack:
            node_id, edges = stack[-1]
            step = next(edges, None)
            if step is None:
                stack.pop()
                state[node_id] = 2
                if path:
                    path.pop()
                continue
            name, source_id = step
            source = graph.node(source_id)
            if source is None or source_id not in allowed:
                continue
            if state.get(source_id) == 1:
                ids = [entry[0] for entry in stack]
                first = ids.index(source_id)
                loop = [*path[first:], (node_id, name)]
                cycles.append(loop)
                continue
            if source_id in state:
                continue
            path.append((node_id, name))
            state[source_id] = 1
            stack.append((source_id, links_of(source)))
    return cycles
