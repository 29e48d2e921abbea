"""ComfyUI workflows, node schemas and override checks: the offline half of deploying a workflow.

Pure: every function takes parsed JSON and returns values or diagnostics; only the small
``load_*_file`` helpers (and the provenance record beside an object_info) read a file, through
:mod:`reconciler.readfile`. Nothing here touches the network, the environment or the clock; checking
presets against a deployed graph, which fetches and caches object_info, is :mod:`reconciler.smoke.remote`.

- :mod:`.graph`: ``workflow_api.json`` as a :class:`WorkflowGraph` (links, titles, output nodes).
- :mod:`.object_info`: ``/object_info`` as an :class:`ObjectInfo` of normalised input specs.
- :mod:`.validate`: :func:`validate_overrides` and :func:`merge_overrides` for override presets.
- :mod:`.prompt`: :func:`validate_workflow`, the workflow itself checked as ComfyUI checks a prompt.
- :mod:`.values`: one input's value against its spec, by the override rules.
- :mod:`.links`: links judged as ComfyUI judges them (shape, source, index, types).
- :mod:`.reach`: which nodes ComfyUI runs, and loops among them.
- :mod:`.choices`: what to say about a value that is not one of a COMBO's choices.
- :mod:`.required`: :func:`validate_required_inputs`, the inputs ComfyUI refuses to run without.
- :mod:`.file_lists`: which values of model/file COMBOs are certain mistakes (near misses...).
- :mod:`.provenance`: the record saying an object_info came from the deployment itself.
- :mod:`.media`: which inputs take uploaded media, and which URLs/data URIs RunComfy accepts.
"""

from reconciler.workflow.graph import (
    Link,
    WorkflowFormatError,
    WorkflowGraph,
    WorkflowNode,
    is_link,
    load_workflow_file,
    output_nodes,
    parse_workflow,
)
from reconciler.workflow.media import MediaKind
from reconciler.workflow.object_info import (
    InputKind,
    InputSpec,
    NodeClass,
    ObjectInfo,
    ObjectInfoFormatError,
    load_object_info_file,
    parse_object_info,
)
from reconciler.workflow.prompt import validate_workflow
from reconciler.workflow.provenance import ObjectInfoSource
from reconciler.workflow.required import validate_required_inputs
from reconciler.workflow.validate import Locator, merge_overrides, validate_overrides

__all__ = [
    "InputKind",
    "InputSpec",
    "Link",
    "Locator",
    "MediaKind",
    "NodeClass",
    "ObjectInfo",
    "ObjectInfoFormatError",
    "ObjectInfoSource",
    "WorkflowFormatError",
    "WorkflowGraph",
    "WorkflowNode",
    "is_link",
    "load_object_info_file",
    "load_workflow_file",
    "merge_overrides",
    "output_nodes",
    "parse_object_info",
    "parse_workflow",
    "validate_overrides",
    "validate_required_inputs",
    "validate_workflow",
]
