"""Loading manifests into a DesiredState, reporting every problem in every file at once.

Effectful only in reading files (manifests, the workflow files they name, object_info beside them).
Steps: find files; parse YAML with positions; check each document's shape, apiVersion and kind;
substitute ``${VAR}``; validate with the strict models; then check what spans documents (duplicate
names, one Settings, preset references and cycles, account limits, defaults, workflow files and the
overrides used against them). The result is a DesiredState, or the list of located problems.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from reconciler.diagnostics import Diagnostic, Location, did_you_mean, sorted_diagnostics
from reconciler.manifest import files, interpolate, messages, presets, source
from reconciler.manifest.desired import DesiredDeployment, DesiredState, Preset, ResolvedOverrides
from reconciler.manifest.model import (
    API_VERSION,
    DOCUMENT_MODELS,
    KINDS,
    DeploymentDocument,
    OverridePresetDocument,
    SettingsDocument,
    SettingsSpec,
)
from reconciler.manifest.source import Document, PathKey
from reconciler.runcomfy import catalog
from reconciler.workflow import graph as workflow_graph
from reconciler.workflow import object_info as workflow_object_info
from reconciler.workflow import validate as workflow_validate


@dataclass
class _Parsed:
    doc: Document
    model: BaseModel
    sensitive_paths: set[PathKey] = field(default_factory=set)


@dataclass
class LoadResult:
    """What loading produced: the desired state when there were no errors, and every problem found."""

    state: DesiredState | None
    problems: list[Diagnostic]

    @property
    def errors(self) -> list[Diagnostic]:
        """The problems that make the manifests invalid."""
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        """The problems worth printing that do not stop the command."""
        return [p for p in self.problems if not p.is_error]


def load_manifests(paths: Iterable[str | Path], *, env: Mapping[str, str]) -> LoadResult:
    """Load every manifest under ``paths`` (files or folders) with ``env`` for ``${VAR}`` values."""
    found, problems = files.collect(paths)
    parsed: list[_Parsed] = []
    secrets: set[str] = set()
    for file in found:
        documents, file_problems = source.read_documents(file, files.display_path(file))
        problems.extend(file_problems)
        for doc in documents:
            item, doc_problems, doc_secrets = _parse_document(doc, env)
            problems.extend(doc_problems)
            secrets.update(doc_secrets)
            if item is not None:
                parsed.append(item)
    if not found and not problems:
        problems.append(Diagnostic("no manifest files (*.yaml, *.yml) found", Location(", ".join(map(str, paths)))))
    state, assembly_problems = _assemble(parsed, [files.display_path(f) for f in found], frozenset(secrets))
    problems.extend(assembly_problems)
    problems = sorted_diagnostics(problems)
    has_errors = any(p.is_error for p in problems)
    return LoadResult(state=None if has_errors else state, problems=problems)


def _parse_document(doc: Document, env: Mapping[str, str]) -> tuple[_Parsed | None, list[Diagnostic], set[str]]:
    if not isinstance(doc.data, dict):
        shape = "a list" if isinstance(doc.data, list) else f"a {type(doc.data).__name__} value"
        return (
            None,
            [
                Diagnostic(
                    f"document {doc.index + 1} is {shape}; a manifest document must be a mapping",
                    doc.start,
                    "",
                    f"start it with apiVersion: {API_VERSION}, kind: Deployment|OverridePreset|Settings",
                )
            ],
            set(),
        )
    header = _check_header(doc)
    if header:
        return None, header, set()
    result = interpolate.interpolate(doc, env)
    if result.problems:  # validating half-substituted values would only add confusing follow-on errors
        return None, result.problems, result.secret_values
    model_cls = DOCUMENT_MODELS[doc.data["kind"]]
    try:
        model = model_cls.model_validate(result.data)
    except ValidationError as exc:
        return None, [*result.problems, *messages.diagnostics_from(exc, doc, model_cls)], result.secret_values
    item = _Parsed(doc=doc, model=model, sensitive_paths=result.sensitive_paths)
    return item, result.problems, result.secret_values


def _check_header(doc: Document) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    version = doc.data.get("apiVersion")
    if version is None:
        problems.append(
            Diagnostic("required field is missing", doc.start, "apiVersion", f"add apiVersion: {API_VERSION}")
        )
    elif version != API_VERSION:
        problems.append(
            Diagnostic(
                f"unknown apiVersion {version!r}; expected {API_VERSION!r}",
                doc.locate(("apiVersion",)),
                "apiVersion",
                f"use apiVersion: {API_VERSION}",
            )
        )
    kind = doc.data.get("kind")
    if kind is None:
        problems.append(Diagnostic("required field is missing", doc.start, "kind", f"one of {', '.join(KINDS)}"))
    elif kind not in KINDS:
        hint = did_you_mean(str(kind), KINDS) or f"one of {', '.join(KINDS)}"
        problems.append(Diagnostic(f"unknown kind {kind!r}", doc.locate(("kind",)), "kind", hint))
    return problems


def _assemble(
    parsed: list[_Parsed], file_names: list[str], secrets: frozenset[str]
) -> tuple[DesiredState, list[Diagnostic]]:
    problems: list[Diagnostic] = []
    settings, settings_source = _settings(parsed, problems)
    preset_map = _presets(parsed, problems)
    deployments = _deployments(parsed, settings, preset_map, problems)
    state = DesiredState(
        deployments=tuple(sorted(deployments, key=lambda d: d.name)),
        presets=preset_map,
        settings=settings,
        files=tuple(file_names),
        secret_values=secrets,
        settings_source=settings_source,
    )
    return state, problems


def _settings(parsed: list[_Parsed], problems: list[Diagnostic]) -> tuple[SettingsSpec, Location | None]:
    found = [p for p in parsed if isinstance(p.model, SettingsDocument)]
    for extra in found[1:]:
        problems.append(
            Diagnostic(
                f"a second Settings document (the first is at {found[0].doc.start})",
                extra.doc.start,
                "kind",
                "merge them into one Settings document",
            )
        )
    if not found:
        return SettingsSpec(), None
    model = found[0].model
    assert isinstance(model, SettingsDocument)
    return model.spec, found[0].doc.start


def _presets(parsed: list[_Parsed], problems: list[Diagnostic]) -> dict[str, Preset]:
    result: dict[str, Preset] = {}
    for item in parsed:
        if not isinstance(item.model, OverridePresetDocument):
            continue
        name = item.model.metadata.name
        where = item.doc.locate(("metadata", "name"))
        if name in result:
            problems.append(_duplicate("preset", name, where, result[name].source))
            continue
        overrides = {node: dict(o.inputs) for node, o in item.model.spec.overrides.items()}
        locations = {
            (node, inp): item.doc.locate(("spec", "overrides", node, "inputs", inp))
            for node, inputs in overrides.items()
            for inp in inputs
        }
        sensitive = frozenset(
            (str(p[2]), str(p[4])) for p in item.sensitive_paths if len(p) >= 5 and p[:2] == ("spec", "overrides")
        )
        result[name] = Preset(name, tuple(item.model.spec.extends), overrides, where, locations, sensitive)
    for name in sorted(result):
        try:
            presets.linearize(name, result)
        except presets.PresetError as exc:
            problems.append(exc.diagnostic)
    return result


def _duplicate(what: str, name: str, where: Location, first: Location) -> Diagnostic:
    return Diagnostic(
        f"{what} {name!r} is declared twice (also at {first})",
        where,
        "metadata.name",
        "names must be unique across all manifests; rename or remove one",
    )


def _deployments(
    parsed: list[_Parsed], settings: SettingsSpec, preset_map: dict[str, Preset], problems: list[Diagnostic]
) -> list[DesiredDeployment]:
    result: dict[str, DesiredDeployment] = {}
    pinned: dict[str, Location] = {}
    for item in parsed:
        if not isinstance(item.model, DeploymentDocument):
            continue
        model, doc = item.model, item.doc
        where = doc.locate(("metadata", "name"))
        if model.metadata.name in result:
            problems.append(_duplicate("deployment", model.metadata.name, where, result[model.metadata.name].source))
            continue
        if model.metadata.id:
            if model.metadata.id in pinned:
                problems.append(
                    Diagnostic(
                        f"deployment id {model.metadata.id!r} is pinned twice (also at {pinned[model.metadata.id]})",
                        doc.locate(("metadata", "id")),
                        "metadata.id",
                    )
                )
            pinned[model.metadata.id] = doc.locate(("metadata", "id"))
        result[model.metadata.name] = _deployment(item, settings, preset_map, problems)
    names = set(result)
    for deployment in result.values():
        for old in deployment.previous_names:
            if old in names:
                problems.append(
                    Diagnostic(
                        f"previous name {old!r} is the name of another declared deployment",
                        deployment.source,
                        "metadata.previous_names",
                        "remove it from previous_names, or rename the other deployment",
                    )
                )
    return list(result.values())


def _deployment(
    item: _Parsed, settings: SettingsSpec, preset_map: dict[str, Preset], problems: list[Diagnostic]
) -> DesiredDeployment:
    model = item.model
    assert isinstance(model, DeploymentDocument)
    doc, spec = item.doc, model.spec
    fields = _resolved_fields(doc, spec.model_dump(), settings, problems)
    field_locations = {name: doc.locate(("spec", name)) for name in (*catalog.MANAGED_FIELDS, "protect", "state")}
    sensitive = frozenset(str(p[1]) for p in item.sensitive_paths if len(p) == 2 and p[0] == "spec")
    graph, info, workflow_display = _workflow(doc, spec.workflow_file, problems)
    smoke_overrides = _smoke_overrides(item, preset_map, problems)
    if graph is not None and smoke_overrides is not None:
        problems.extend(_check_smoke_layers(item, preset_map, graph, info))
    return DesiredDeployment(
        name=model.metadata.name,
        fields=fields,
        source=doc.locate(("metadata", "name")),
        pinned_id=model.metadata.id,
        previous_names=tuple(model.metadata.previous_names),
        state=spec.state,
        protect=spec.protect,
        ignore_changes=frozenset(spec.ignore_changes),
        smoke=spec.smoke,
        smoke_overrides=smoke_overrides,
        workflow_file=workflow_display,
        workflow=graph,
        object_info=info,
        field_locations=field_locations,
        sensitive_fields=sensitive,
    )




def _resolved_fields(
    doc: Document, spec: dict[str, Any], settings: SettingsSpec, problems: list[Diagnostic]
) -> dict[str, Any]:
    defaults = settings.defaults.model_dump()
    fields: dict[str, Any] = {}
    for name in catalog.MANAGED_FIELDS:
        value = spec.get(name)
        if value is None:
            value = defaults.get(name)
        if value is None:
            value = catalog.API_DEFAULTS.get(name)
        fields[name] = value
    limits = settings.limits
    for name, limit in (("min_instances", limits.min_instances_max), ("max_instances", limits.max_instances_max)):
        if fields[name] > limit:
            problems.append(
                Diagnostic(
                    f"must be at most {limit} (the account limit in Settings.limits); got {fields[name]}",
                    doc.locate(("spec", name)),
                    f"spec.{name}",
                    f"lower it, or raise Settings.spec.limits.{name}_max if your account allows more",
                )
            )
    if fields["max_instances"] < fields["min_instances"] and spec.get("max_instances") is None:
        problems.append(
            Diagnostic(
                f"max_instances ({fields['max_instances']}, the default) is below min_instances "
                f"({fields['min_instances']})",
                doc.locate(("spec", "min_instances")),
                "spec.max_instances",
                f"set max_instances to at least {fields['min_instances']}",
            )
        )
    return fields


def _workflow(
    doc: Document, workflow_file: str | None, problems: list[Diagnostic]
) -> tuple[workflow_graph.WorkflowGraph | None, workflow_object_info.ObjectInfo | None, str | None]:
    if workflow_file is None:
        return None, None, None
    where = doc.locate(("spec", "workflow_file"))
    path = Path(doc.path).parent / workflow_file
    display = files.display_path(path)
    if not path.is_file():
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
        if candidate.is_file():
            info, info_problems = workflow_object_info.load_object_info_file(candidate)
            problems.extend(info_problems)
            break
    return graph, info, display


def _check_smoke_layers(
    item: _Parsed,
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


def _inline_layer(item: _Parsed) -> ResolvedOverrides | None:
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


def _smoke_overrides(
    item: _Parsed, preset_map: dict[str, Preset], problems: list[Diagnostic]
) -> ResolvedOverrides | None:
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


__all__ = ["LoadResult", "load_manifests"]
