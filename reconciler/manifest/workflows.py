"""Deployments' workflow files, and the smoke overrides checked against them.

Effectful only in reading the workflow file a deployment names (and an object_info.json beside it).
"""

from __future__ import annotations

from pathlib import Path

from reconciler.diagnostics import Diagnostic
from reconciler.manifest import files, presets
from reconciler.manifest.desired import Preset, ResolvedOverrides
from reconciler.manifest.model import DeploymentDocument
from reconciler.manifest.parsed import ParsedDocument
from reconciler.manifest.source import Document
from reconciler.workflow import graph as workflow_graph
from reconciler.workflow import object_info as workflow_object_info
from reconciler.workflow import validate as workflow_validate


def load_workflow(
    doc: Document, workflow_file: str | None, problems: list[Diagnostic]
) -> tuple[workflow_graph.WorkflowGraph | None, workflow_object_info.ObjectInfo | None, str | None]:
    """The workflow a deployment names (path relative to its manifest), its object_info, and its display path."""
    if workflow_file is None:
        return None, None, None
    where = doc.locate(("spec", "workflow_file"))
    path = Path(doc.path).parent / workflow_file
    display = files.display_path(path)
    if not path.exists() and not path.is_symlink():  # a FIFO or a device is reported by the reader, as what it is
        problems.append(
            Diagnostic(
                f"workflow file {workflow_file!r} does not exist (looked for {display})",
                where,
                "spec.workflow_file",
                "the path is relative to this manifest's folder",
            )
        )
        return None, None, display
    graph, graph_problems = workflow_graph.load_workflow_file(path)
    for problem in graph_problems:
        if problem.location is None or problem.location.line <= 0:
            problem = Diagnostic(
                f"{display}: {problem.message}", where, "spec.workflow_file", problem.hint, problem.severity
            )
        problems.append(problem)
    info = None
    for candidate in (path.with_name(f"{path.stem}.object_info.json"), path.with_name("object_info.json")):
        if candidate.exists():
            info, info_problems = workflow_object_info.load_object_info_file(candidate)
            problems.extend(info_problems)
            break
    return graph, info, display


def check_smoke_layers(
    item: ParsedDocument,
    preset_map: dict[str, Preset],
    graph: workflow_graph.WorkflowGraph,
    info: workflow_object_info.ObjectInfo | None,
) -> list[Diagnostic]:
    """Check the smoke preset (with what it extends) and the inline overrides against the workflow.

    Each layer is checked on its own so that every problem points at the file and field that wrote it.
    """
    model = item.model
    assert isinstance(model, DeploymentDocument) and model.spec.smoke is not None
    problems: list[Diagnostic] = []
    smoke = model.spec.smoke
    if smoke.preset is not None:
        resolved = presets.resolve(smoke.preset, preset_map)
        problems.extend(
            workflow_validate.validate_overrides(
                resolved.values, graph, object_info=info, locate=resolved.locate, context="spec.overrides"
            )
        )
    inline = _inline_layer(item)
    if inline is not None:
        problems.extend(
            workflow_validate.validate_overrides(
                inline.values, graph, object_info=info, locate=inline.locate, context="spec.smoke.overrides"
            )
        )
    return problems


def _inline_layer(item: ParsedDocument) -> ResolvedOverrides | None:
    """A deployment's smoke overrides: its preset (with what that extends) merged with the inline ones."""
    model = item.model
    assert isinstance(model, DeploymentDocument)
    smoke = model.spec.smoke
    if smoke is None or not smoke.overrides:
        return None
    inline = {node: dict(o.inputs) for node, o in smoke.overrides.items()}
    base = ("spec", "smoke", "overrides")
    locations = {(n, i): item.doc.locate((*base, n, "inputs", i)) for n, ins in inline.items() for i in ins}
    sensitive = frozenset((str(p[3]), str(p[5])) for p in item.sensitive_paths if len(p) >= 6 and p[:3] == base)
    return ResolvedOverrides(inline, locations, sensitive)


def smoke_overrides(
    item: ParsedDocument, preset_map: dict[str, Preset], problems: list[Diagnostic]
) -> ResolvedOverrides | None:
    """A deployment's smoke overrides: its preset (with what that extends) merged with the inline ones."""
    model = item.model
    assert isinstance(model, DeploymentDocument)
    smoke = model.spec.smoke
    if smoke is None:
        return None
    layers: list[ResolvedOverrides] = []
    if smoke.preset is not None:
        if smoke.preset not in preset_map:
            where = item.doc.locate(("spec", "smoke", "preset"))
            problems.append(presets.unknown_preset(smoke.preset, preset_map, where, "spec.smoke.preset"))
            return None
        try:
            layers.append(presets.resolve(smoke.preset, preset_map))
        except presets.PresetError:
            return None  # the cycle or unknown base is reported once, at the preset
    inline = _inline_layer(item)
    if inline is not None:
        layers.append(inline)
    return presets.merge(layers)

