"""Deployments' workflow files, and the smoke overrides checked against them.

Effectful only in reading the workflow file a deployment names (and an object_info.json beside it).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler import readfile
from reconciler.diagnostics import Diagnostic, Location, Severity
from reconciler.manifest import files, presets
from reconciler.manifest.desired import Preset, ResolvedOverrides
from reconciler.manifest.model import DeploymentDocument
from reconciler.manifest.parsed import ParsedDocument
from reconciler.manifest.source import Document
from reconciler.workflow import graph as workflow_graph
from reconciler.workflow import object_info as workflow_object_info
from reconciler.workflow import prompt as workflow_prompt
from reconciler.workflow import validate as workflow_validate


def load_workflow(
    doc: Document,
    workflow_file: str | None,
    problems: list[Diagnostic],
    fields: Mapping[str, Any] | None = None,
) -> tuple[workflow_graph.WorkflowGraph | None, workflow_object_info.ObjectInfo | None, str | None]:
    """The workflow a deployment names (path relative to its manifest), its object_info, and its display path.

    An object_info whose provenance record says it came from a deployment counts as that
    deployment's own only while it describes the workflow id and version in ``fields``.
    """
    if workflow_file is None:
        return None, None, None
    where = doc.locate(("spec", "workflow_file"))
    path = Path(os.path.normpath(Path(doc.path).parent / workflow_file))  # shown the same way everywhere
    display = files.display_path(path)
    if not readfile.is_present(path):  # a FIFO or a device is reported by the reader, as what it is
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
    if graph is not None:
        graph = dataclasses.replace(graph, source=display)
    info = None
    for candidate in (path.with_name(f"{path.stem}.object_info.json"), path.with_name("object_info.json")):
        if readfile.is_present(candidate):
            info, info_problems = workflow_object_info.load_object_info_file(candidate)
            problems.extend(info_problems)
            if info is not None:
                info = _own_catalogue(info, fields or {}, files.display_path(candidate), problems)
            break
    return graph, info, display


def _own_catalogue(
    info: workflow_object_info.ObjectInfo, fields: Mapping[str, Any], display: str, problems: list[Diagnostic]
) -> workflow_object_info.ObjectInfo:
    """``info``, no longer authoritative (with a warning) when its record describes another workflow version."""
    record = info.provenance
    if record is None or not record.from_deployment or not fields:
        return info
    if record.describes(fields.get("workflow_id"), fields.get("workflow_version")):
        return info
    fetched = f"{record.workflow_id or '?'} {record.workflow_version or '?'}"
    declared = f"{fields.get('workflow_id')} {fields.get('workflow_version')}"
    problems.append(
        Diagnostic(
            f"{display} was fetched for workflow {fetched}, not {declared}; its file lists are "
            "treated as hand-placed (a missing model name is a warning)",
            Location(display),
            hint="re-run `comfyops import --with-workflows` to fetch the new version's object_info",
            severity=Severity.WARNING,
        )
    )
    return dataclasses.replace(info, provenance=None)


def check_workflow(
    item: ParsedDocument,
    preset_map: dict[str, Preset],
    graph: workflow_graph.WorkflowGraph,
    info: workflow_object_info.ObjectInfo | None,
    smoke: ResolvedOverrides | None,
) -> list[Diagnostic]:
    """A deployment's workflow with its smoke overrides: each layer's values, then the workflow itself.

    The workflow is checked as ComfyUI checks a prompt (:func:`~reconciler.workflow.prompt.validate_workflow`),
    as the merged smoke overrides leave it (as it is when there are none); a required input that only
    the smoke overrides supply is a warning.
    """
    problems = check_smoke_layers(item, preset_map, graph, info) if smoke is not None else []
    problems += workflow_prompt.validate_workflow(
        graph, info, smoke.values if smoke is not None else None, warn_supplied=True
    )
    return problems


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
        resolved = presets.effective_overrides(smoke.preset, preset_map)
        problems.extend(
            workflow_validate.validate_overrides(
                resolved.values,
                graph,
                object_info=info,
                locate=resolved.locate,
                context="spec.overrides",
                whole_workflow=False,
            )
        )
    inline = _inline_layer(item)
    if inline is not None:
        problems.extend(
            workflow_validate.validate_overrides(
                inline.values,
                graph,
                object_info=info,
                locate=inline.locate,
                context="spec.smoke.overrides",
                whole_workflow=False,
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
            layers.append(presets.effective_overrides(smoke.preset, preset_map))
        except presets.PresetError:
            return None  # the cycle or unknown base is reported once, at the preset
    inline = _inline_layer(item)
    if inline is not None:
        layers.append(inline)
    return presets.merge(layers)

