"""The checks that span manifest documents, and the DesiredState they produce.

Pure except for reading the workflow files deployments name (``manifest.workflows``). Duplicate names
(both places named), at most one Settings, preset references and cycles, account limits, defaults
(manifest, then Settings.defaults, then the API's), and previous names that collide.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from reconciler import catalog, companions
from reconciler.diagnostics import Diagnostic, Location
from reconciler.manifest import expectations, presets, workflows
from reconciler.manifest.desired import DesiredDeployment, DesiredState, ExpiredIgnore, Preset
from reconciler.manifest.model import (
    API_VERSION,
    DeploymentDocument,
    DeploymentSpec,
    IgnoreRule,
    OverridePresetDocument,
    SettingsDocument,
    SettingsSpec,
    expiry_instant,
)
from reconciler.manifest.parsed import ParsedDocument, PartialDocument
from reconciler.manifest.source import Document


def assemble(
    parsed: list[ParsedDocument],
    file_names: list[str],
    secrets: frozenset[str],
    *,
    partial: Sequence[PartialDocument] = (),
    now: datetime | None = None,
) -> tuple[DesiredState, list[Diagnostic]]:
    """The desired state the parsed documents declare, and every problem that spans documents.

    ``now`` decides which ``ignore_changes`` rules with an ``until`` have expired (None: none has).

    ``partial`` are the documents that failed their own checks: their names and references take part
    in the cross-document checks, so every problem is reported in one run.
    """
    problems: list[Diagnostic] = []
    settings, settings_source = _settings(parsed, partial, problems)
    invalid_presets = {
        p.name: p.doc.locate(("metadata", "name")) for p in partial if p.kind == "OverridePreset" and p.name
    }
    preset_map = _presets(parsed, invalid_presets, problems)
    _check_partial_references(partial, preset_map, invalid_presets, problems)
    deployments = _deployments(parsed, partial, settings, preset_map, invalid_presets, problems, now)
    _check_partial_limits(partial, settings, problems)
    _check_partial_workflows(partial, preset_map, problems)
    state = DesiredState(
        deployments=tuple(sorted(deployments, key=lambda d: d.name)),
        presets=preset_map,
        settings=settings,
        files=tuple(file_names),
        secret_values=secrets,
        settings_source=settings_source,
    )
    return state, problems


def _settings(
    parsed: list[ParsedDocument], partial: Sequence[PartialDocument], problems: list[Diagnostic]
) -> tuple[SettingsSpec, Location | None]:
    valid = {id(p.doc): p for p in parsed if isinstance(p.model, SettingsDocument)}
    found = sorted(
        [*(p.doc for p in valid.values()), *(p.doc for p in partial if p.kind == "Settings")],
        key=lambda d: (d.path, d.index),
    )
    for extra in found[1:]:
        problems.append(
            Diagnostic(
                f"a second Settings document (the first is at {found[0].start})",
                extra.start,
                "kind",
                "merge them into one Settings document",
            )
        )
    if not found:
        return SettingsSpec(), None
    first = found[0]
    if id(first) in valid:
        model = valid[id(first)].model
        assert isinstance(model, SettingsDocument)
        return model.spec, first.start
    spec = next(p.spec for p in partial if p.doc is first)
    return _valid_sections(spec), first.start


def _valid_sections(spec: dict[str, Any]) -> SettingsSpec:
    """The sections of an invalid Settings spec that are valid on their own (their problems are reported),
    so that the limits and defaults it does state still apply to the other checks of this run."""
    sections: dict[str, Any] = {}
    for name, value in spec.items():
        if name not in SettingsSpec.model_fields:
            continue
        try:
            SettingsSpec.model_validate({name: value})
        except ValidationError:
            continue
        sections[name] = value
    return SettingsSpec.model_validate(sections)


def _presets(
    parsed: list[ParsedDocument], invalid: dict[str, Location], problems: list[Diagnostic]
) -> dict[str, Preset]:
    result: dict[str, Preset] = {}
    for item in parsed:
        if not isinstance(item.model, OverridePresetDocument):
            continue
        name = item.model.metadata.name
        where = item.doc.locate(("metadata", "name"))
        first = result[name].source if name in result else invalid.get(name)
        if first is not None:
            if first > where:
                first, where = where, first
            problems.append(_duplicate("preset", name, where, first))
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
        if _reaches(name, result, set(invalid)):
            continue  # the invalid preset's own problems are reported; it is not missing
        try:
            presets.linearize(name, result)
        except presets.PresetError as exc:
            problems.append(exc.diagnostic)
    return result


def _reaches(name: str, preset_map: dict[str, Preset], targets: set[str]) -> bool:
    """Whether preset ``name`` extends (directly or not) one of ``targets``."""
    seen: set[str] = set()
    stack = [name]
    while stack:
        current = stack.pop()
        if current in seen or current not in preset_map:
            continue
        seen.add(current)
        for base in preset_map[current].extends:
            if base in targets:
                return True
            stack.append(base)
    return False


def _check_partial_references(
    partial: Sequence[PartialDocument],
    preset_map: dict[str, Preset],
    invalid: dict[str, Location],
    problems: list[Diagnostic],
) -> None:
    """References made by documents that failed their own checks: extends and smoke presets must exist."""
    for item in partial:
        refs: list[tuple[str, tuple[str | int, ...], str]] = []
        if item.kind == "OverridePreset":
            refs = [(base, ("spec", "extends", i), "spec.extends") for i, base in enumerate(item.extends)]
        elif item.kind == "Deployment" and item.smoke_preset:
            refs = [(item.smoke_preset, ("spec", "smoke", "preset"), "spec.smoke.preset")]
        for name, path, field in refs:
            if name not in preset_map and name not in invalid:
                known = [*preset_map, *invalid]
                problems.append(presets.unknown_preset(name, known, item.doc.locate(path), field))


def _duplicate(what: str, name: str, where: Location, first: Location) -> Diagnostic:
    return Diagnostic(
        f"{what} {name!r} is declared twice (also at {first})",
        where,
        "metadata.name",
        "names must be unique across all manifests; rename or remove one",
    )


def _identities(parsed: list[ParsedDocument], partial: Sequence[PartialDocument]) -> list[PartialDocument]:
    """Every Deployment document's name, pinned id and previous names (valid or not), in file order."""
    found = [
        PartialDocument(
            doc=item.doc,
            kind="Deployment",
            name=item.model.metadata.name,
            pinned_id=item.model.metadata.id,
            previous_names=tuple(item.model.metadata.previous_names),
        )
        for item in parsed
        if isinstance(item.model, DeploymentDocument)
    ]
    found += [p for p in partial if p.kind == "Deployment"]
    return sorted(found, key=lambda p: (p.doc.path, p.doc.index))


def _check_identities(
    identities: list[PartialDocument], problems: list[Diagnostic]
) -> tuple[dict[str, Location], set[int]]:
    """Duplicate names, ids pinned twice, previous names that collide; where each name is first declared, and
    the ids (``id()``) of the documents that declare it again."""
    named: dict[str, Location] = {}
    pinned: dict[str, Location] = {}
    claimed: dict[str, tuple[str, Location]] = {}
    duplicates: set[int] = set()
    for item in identities:
        where = item.doc.locate(("metadata", "name"))
        if item.name is not None:
            if item.name in named:
                problems.append(_duplicate("deployment", item.name, where, named[item.name]))
                duplicates.add(id(item.doc))
                continue
            named[item.name] = where
        if item.pinned_id:
            id_at = item.doc.locate(("metadata", "id"))
            if item.pinned_id in pinned:
                problems.append(
                    Diagnostic(
                        f"deployment id {item.pinned_id!r} is pinned twice (also at {pinned[item.pinned_id]})",
                        id_at,
                        "metadata.id",
                    )
                )
            pinned[item.pinned_id] = id_at
        for index, old in enumerate(dict.fromkeys(item.previous_names)):
            if old in claimed:
                other, other_at = claimed[old]
                problems.append(
                    Diagnostic(
                        f"previous name {old!r} is claimed by both {other!r} (at {other_at}) and {item.name!r}",
                        item.doc.locate(("metadata", "previous_names", index)),
                        "metadata.previous_names",
                        "a live deployment can be renamed into one manifest only; remove it from one of them",
                    )
                )
                continue
            claimed[old] = (str(item.name), where)
    for item in identities:
        for old in item.previous_names:
            if old in named and id(item.doc) not in duplicates:
                problems.append(
                    Diagnostic(
                        f"previous name {old!r} is the name of another declared deployment",
                        item.doc.locate(("metadata", "name")),
                        "metadata.previous_names",
                        "remove it from previous_names, or rename the other deployment",
                    )
                )
    return named, duplicates


def _deployments(
    parsed: list[ParsedDocument],
    partial: Sequence[PartialDocument],
    settings: SettingsSpec,
    preset_map: dict[str, Preset],
    invalid_presets: dict[str, Location],
    problems: list[Diagnostic],
    now: datetime | None,
) -> list[DesiredDeployment]:
    named, duplicates = _check_identities(_identities(parsed, partial), problems)
    defaults = settings.defaults.model_dump()
    result: dict[str, DesiredDeployment] = {}
    for item in parsed:
        if not isinstance(item.model, DeploymentDocument) or id(item.doc) in duplicates:
            continue
        name = item.model.metadata.name
        result[name] = _deployment(item, settings, defaults, named[name], preset_map, invalid_presets, problems, now)
    return list(result.values())


def ignore_rules(
    entries: Sequence[str | IgnoreRule], now: datetime | None
) -> tuple[frozenset[str], tuple[ExpiredIgnore, ...]]:
    """The fields ``entries`` leave alone at ``now``, and the rules whose ``until`` has passed by then."""
    active: set[str] = set()
    expired: list[ExpiredIgnore] = []
    for entry in entries:
        if isinstance(entry, str):
            active.add(entry)
        elif entry.until is None or now is None or now < expiry_instant(entry.until):
            active.add(entry.field)
        else:
            expired.append(ExpiredIgnore(field=entry.field, until=entry.until, reason=entry.reason))
    expired = [e for e in expired if e.field not in active]  # a later rule for the same field still holds
    return frozenset(active), tuple(expired)


def _deployment(
    item: ParsedDocument,
    settings: SettingsSpec,
    defaults: Mapping[str, Any],
    source: Location,
    preset_map: dict[str, Preset],
    invalid_presets: dict[str, Location],
    problems: list[Diagnostic],
    now: datetime | None,
) -> DesiredDeployment:
    """One deployment as its valid document declares it (``source``: where its name is written), with the
    ``defaults`` of Settings (dumped once for all) and the API's filled in."""
    model = item.model
    assert isinstance(model, DeploymentDocument)
    doc, spec = item.doc, model.spec
    fields = _resolved_fields(doc, {name: getattr(spec, name) for name in catalog.MANAGED_FIELDS}, settings,
                              problems, defaults)
    active, expired = ignore_rules(spec.ignore_changes, now)
    field_locations = FieldLocations(doc)
    sensitive = frozenset(str(p[1]) for p in item.sensitive_paths if len(p) == 2 and p[0] == "spec")
    graph, info, workflow_display = workflows.load_workflow(doc, spec.workflow_file, problems, fields)
    smoke_preset = spec.smoke.preset if spec.smoke is not None else None
    smoke_overrides = None
    if smoke_preset is not None and smoke_preset not in preset_map:
        if smoke_preset not in invalid_presets:  # a declared but invalid preset has its own problems reported
            where = doc.locate(("spec", "smoke", "preset"))
            problems.append(presets.unknown_preset(smoke_preset, [*preset_map, *invalid_presets], where,
                                                   "spec.smoke.preset"))
    else:
        smoke_overrides = workflows.smoke_overrides(item, preset_map, problems)
    if graph is not None:
        problems.extend(workflows.check_workflow(item, preset_map, graph, info, smoke_overrides))
        problems.extend(expectations.check_outputs(item, graph, info))
    golden_paths = expectations.goldens(item, problems)
    problems.extend(_rollout_problems(doc, model))
    return DesiredDeployment(
        name=model.metadata.name,
        fields=fields,
        source=source,
        pinned_id=model.metadata.id,
        previous_names=tuple(model.metadata.previous_names),
        state=spec.state,
        protect=spec.protect,
        ignore_changes=active,
        expired_ignores=expired,
        smoke=spec.smoke,
        smoke_overrides=smoke_overrides,
        workflow_file=workflow_display,
        goldens=golden_paths,
        workflow=graph,
        object_info=info,
        field_locations=field_locations,
        sensitive_fields=sensitive,
        rollout=spec.rollout.strategy if spec.rollout is not None else "direct",
    )




class FieldLocations(Mapping[str, Location]):
    """Where each managed field (and ``protect``, ``state``) of a deployment is written, looked up when
    asked: a plan reads a few of them, and only for the deployments it shows."""

    NAMES: tuple[str, ...] = (*catalog.MANAGED_FIELDS, "protect", "state")

    def __init__(self, doc: Document) -> None:
        self._doc = doc

    def __getitem__(self, name: str) -> Location:
        if name not in self.NAMES:
            raise KeyError(name)
        return self._doc.locate(("spec", name))

    def __iter__(self) -> Iterator[str]:
        return iter(self.NAMES)

    def __len__(self) -> int:
        return len(self.NAMES)


def _rollout_problems(doc: Document, model: DeploymentDocument) -> list[Diagnostic]:
    """A name ComfyOps reserves for its rollout candidates and version keepers; a candidate rollout without
    the smoke test it runs on the candidate."""
    problems = []
    if companions.is_reserved(model.metadata.name):
        problems.append(Diagnostic(
            f"names ending in {' or '.join(companions.RESERVED_SUFFIXES)} are reserved for the deployments ComfyOps "
            "makes beside yours (rollout candidates, version keepers)",
            doc.locate(("metadata", "name")), "metadata.name", "choose another name",
        ))
    rollout = model.spec.rollout
    if rollout is not None and rollout.strategy == "candidate" and model.spec.smoke is None:
        problems.append(Diagnostic(
            "rollout strategy candidate needs a smoke test to run on the candidate",
            doc.locate(("spec", "rollout", "strategy")), "spec.rollout.strategy",
            "add spec.smoke (with expect.outputs ... similar_to: a golden), or use strategy: direct",
        ))
    return problems


def _check_limits(doc: Document, values: dict[str, Any], settings: SettingsSpec, problems: list[Diagnostic]) -> None:
    """Instance counts above the account limits in Settings.limits (``values``: the deployment's fields)."""
    limits = settings.limits
    for name, limit in (("min_instances", limits.min_instances_max), ("max_instances", limits.max_instances_max)):
        value = values.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value > limit:
            problems.append(
                Diagnostic(
                    f"must be at most {limit} (the account limit in Settings.limits); got {value}",
                    doc.locate(("spec", name)),
                    f"spec.{name}",
                    f"lower it, or raise Settings.spec.limits.{name}_max if your account allows more",
                )
            )


def _check_partial_limits(
    partial: Sequence[PartialDocument], settings: SettingsSpec, problems: list[Diagnostic]
) -> None:
    """Account limits for deployments that failed their own checks, on the counts that are valid on their own
    (a count the model already refuses, above the API's range, is reported once, by the model)."""
    for item in partial:
        if item.kind != "Deployment":
            continue
        counts: dict[str, Any] = {}
        for name in ("min_instances", "max_instances"):
            if name not in item.spec:
                continue
            alone_spec = {"workflow_id": "-", "workflow_version": "-", name: item.spec[name]}  # placeholders
            try:
                alone = DeploymentSpec.model_validate(alone_spec)
            except ValidationError:
                continue
            counts[name] = getattr(alone, name)
        _check_limits(item.doc, counts, settings, problems)
        _check_partial_order(item.doc, counts, settings, problems)


def _check_partial_order(doc: Document, counts: dict[str, Any], settings: SettingsSpec,
                         problems: list[Diagnostic]) -> None:
    """``max_instances`` below ``min_instances`` in a deployment that failed other checks (the model checks
    the order only once every field is valid), said as the model and :func:`_resolved_fields` say it."""
    low = counts.get("min_instances")
    if low is None:
        return
    high = counts.get("max_instances")
    if high is not None:
        problem = Diagnostic(f"max_instances ({high}) is below min_instances ({low})",
                             doc.locate(("spec", "max_instances")), "spec.max_instances")
    else:
        high = settings.defaults.max_instances or catalog.API_DEFAULTS.get("max_instances")
        if high is None:
            return
        problem = Diagnostic(f"max_instances ({high}, the default) is below min_instances ({low})",
                             doc.locate(("spec", "min_instances")), "spec.max_instances",
                             f"set max_instances to at least {low}")
    if high < low and all(p.format() != problem.format() for p in problems):
        problems.append(problem)


def _check_partial_workflows(
    partial: Sequence[PartialDocument], preset_map: dict[str, Preset], problems: list[Diagnostic]
) -> None:
    """The workflow and smoke-override checks of deployments that failed other checks, on the parts that are
    valid on their own (``workflow_file``, ``smoke``), so that fixing a field error never reveals an
    override error that was there all along."""
    for item in partial:
        if item.kind != "Deployment":
            continue
        alone: dict[str, Any] = {"workflow_id": "-", "workflow_version": "-"}  # placeholders
        for name in ("workflow_id", "workflow_version", "workflow_file", "smoke"):
            if name in item.spec and _valid_alone(name, item.spec[name]):
                alone[name] = item.spec[name]
        if "workflow_file" not in alone:
            continue
        try:
            model = DeploymentDocument.model_validate(
                {"apiVersion": API_VERSION, "kind": "Deployment", "metadata": {"name": "x"}, "spec": alone})
        except ValidationError:
            continue
        synthetic = ParsedDocument(doc=item.doc, model=model)
        found: list[Diagnostic] = []
        fields = {k: v for k, v in alone.items() if k in ("workflow_id", "workflow_version")}
        graph, info, _display = workflows.load_workflow(item.doc, model.spec.workflow_file, found, fields)
        smoke = model.spec.smoke
        overrides = None
        if smoke is not None and (smoke.preset is None or smoke.preset in preset_map):
            overrides = workflows.smoke_overrides(synthetic, preset_map, [])  # reference problems: reported already
        if graph is not None:
            found += workflows.check_workflow(synthetic, preset_map, graph, info, overrides)
        seen = {p.format() for p in problems}
        problems.extend(p for p in found if p.format() not in seen)


def _valid_alone(name: str, value: Any) -> bool:
    """Whether spec field ``name`` is valid on its own (the other required fields given placeholders); a value
    still holding an unresolved ``${VAR}`` is not (its interpolation problem is reported)."""
    if "${" in repr(value):
        return False
    try:
        DeploymentSpec.model_validate({"workflow_id": "-", "workflow_version": "-", name: value})
    except ValidationError:
        return False
    return True


def _resolved_fields(
    doc: Document, spec: Mapping[str, Any], settings: SettingsSpec, problems: list[Diagnostic],
    defaults: Mapping[str, Any],
) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in catalog.MANAGED_FIELDS:
        value = spec.get(name)
        if value is None:
            value = defaults.get(name)
        if value is None:
            value = catalog.API_DEFAULTS.get(name)
        fields[name] = value
    _check_limits(doc, fields, settings, problems)
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
