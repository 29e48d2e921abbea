"""The checks that span manifest documents, and the DesiredState they produce.

Pure except for reading the workflow files deployments name (``manifest.workflows``). Duplicate names
(both places named), at most one Settings, preset references and cycles, account limits, defaults
(manifest, then Settings.defaults, then the API's), and previous names that collide.
"""

from __future__ import annotations

from typing import Any

from reconciler.diagnostics import Diagnostic, Location
from reconciler.manifest import presets, workflows
from reconciler.manifest.desired import DesiredDeployment, DesiredState, Preset
from reconciler.manifest.model import (
    DeploymentDocument,
    OverridePresetDocument,
    SettingsDocument,
    SettingsSpec,
)
from reconciler.manifest.parsed import ParsedDocument
from reconciler.manifest.source import Document
from reconciler.runcomfy import catalog


def assemble(
    parsed: list[ParsedDocument], file_names: list[str], secrets: frozenset[str]
) -> tuple[DesiredState, list[Diagnostic]]:
    """The desired state the parsed documents declare, and every problem that spans documents."""
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


def _settings(parsed: list[ParsedDocument], problems: list[Diagnostic]) -> tuple[SettingsSpec, Location | None]:
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


def _presets(parsed: list[ParsedDocument], problems: list[Diagnostic]) -> dict[str, Preset]:
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
    parsed: list[ParsedDocument], settings: SettingsSpec, preset_map: dict[str, Preset], problems: list[Diagnostic]
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
    item: ParsedDocument, settings: SettingsSpec, preset_map: dict[str, Preset], problems: list[Diagnostic]
) -> DesiredDeployment:
    model = item.model
    assert isinstance(model, DeploymentDocument)
    doc, spec = item.doc, model.spec
    fields = _resolved_fields(doc, spec.model_dump(), settings, problems)
    field_locations = {name: doc.locate(("spec", name)) for name in (*catalog.MANAGED_FIELDS, "protect", "state")}
    sensitive = frozenset(str(p[1]) for p in item.sensitive_paths if len(p) == 2 and p[0] == "spec")
    graph, info, workflow_display = workflows.load_workflow(doc, spec.workflow_file, problems, fields)
    smoke_overrides = workflows.smoke_overrides(item, preset_map, problems)
    if graph is not None:
        problems.extend(workflows.check_workflow(item, preset_map, graph, info, smoke_overrides))
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
