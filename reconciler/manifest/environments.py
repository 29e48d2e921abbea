"""Environments: one set of base manifests, resolved into what one environment (staging, prod) gets.

Pure. Runs between parsing documents and assembling the DesiredState, so the engine only ever sees an
ordinary DesiredState. For the selected ``Environment`` document it:

- keeps the deployments its ``include``/``exclude`` globs admit (over base names);
- merges its ``patches`` into them in order (mappings merge, lists and scalars replace), re-validating
  the result so a bad value is reported at the patch's own ``file:line``;
- adds ``name_prefix``/``name_suffix`` to every deployment name and previous name;
- merges ``spec.settings`` over the Settings document, turns the base prune patterns (written over base
  names) into this environment's names, and excludes every other environment's names from pruning, so a
  staging run can never prune prod's deployments in a shared account;
- pins ``metadata.id`` from its ``spec.ids`` (base name -> UUID), and lists the ids every *other*
  environment pins (``Resolution.foreign_ids``): the plan never matches, changes or prunes those.

A pinned id belongs to exactly one environment. An id in the base manifests is shared by every
environment that admits the deployment, so with two or more of them it is an error (it would make
staging rename prod's deployment); so is one id pinned by two environments, and a ``spec.ids`` entry
naming no deployment of that environment.

A patch whose ``match`` matches nothing is a warning. Without a selected environment the Environment
documents are simply dropped (``--env`` is enforced by the command line, which knows the command).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from reconciler.diagnostics import Diagnostic, Location, Severity, did_you_mean
from reconciler.manifest import files, messages
from reconciler.manifest.desired import EnvironmentInfo
from reconciler.manifest.model import (
    NAME_PATTERN,
    DeploymentDocument,
    DeploymentSpec,
    EnvironmentDocument,
    EnvironmentPatch,
    SettingsDocument,
    SettingsSpec,
)
from reconciler.manifest.parsed import ParsedDocument
from reconciler.manifest.source import Document, PathKey, dotted

_NAME = re.compile(NAME_PATTERN)


@dataclass
class Resolution:
    """The documents one environment sees, the problems found resolving it, and what it is."""

    documents: list[ParsedDocument]
    problems: list[Diagnostic] = field(default_factory=list)
    environment: EnvironmentInfo | None = None
    names: tuple[str, ...] = ()
    policy_paths: tuple[str, ...] = ()
    foreign_ids: dict[str, str] = field(default_factory=dict)
    """Ids pinned by the other environments -> the environment's name."""


def declared(parsed: Iterable[ParsedDocument]) -> tuple[str, ...]:
    """The names of the Environment documents, in the order they were written."""
    names: list[str] = []
    for item in parsed:
        if isinstance(item.model, EnvironmentDocument) and item.model.metadata.name not in names:
            names.append(item.model.metadata.name)
    return tuple(names)


def unknown_environment(name: str, names: tuple[str, ...]) -> str:
    """The one-line message for an ``--env`` that names no Environment document."""
    if not names:
        return f"--env {name}: the manifests declare no Environment documents"
    hint = did_you_mean(name, names)
    return f"--env {name}: no such environment (declared: {', '.join(names)})" + (f"; {hint}" if hint else "")


def documents_for(parsed: list[ParsedDocument], environment: str | None) -> Resolution:
    """The documents ``environment`` gets (or the base documents when it is None), with problems."""
    problems: list[Diagnostic] = []
    envs = _environments(parsed, problems)
    names = tuple(envs)
    base = [p for p in parsed if not isinstance(p.model, EnvironmentDocument)]
    settings_item = next((p for p in base if isinstance(p.model, SettingsDocument)), None)
    if environment is None:
        return Resolution(base, problems, None, names, _policy_paths(settings_item, None))
    if environment not in envs:
        problems.append(Diagnostic(unknown_environment(environment, names)))
        return Resolution(base, problems, None, names)
    env_item = envs[environment]
    model = env_item.model
    assert isinstance(model, EnvironmentDocument)
    spec = model.spec
    _check_affixes(env_item, problems)
    pins = _pins(base, envs, problems)
    others = [e.model.spec for n, e in envs.items() if n != environment and isinstance(e.model, EnvironmentDocument)]
    documents: list[ParsedDocument] = []
    used = [False] * len(spec.patches)
    for item in base:
        if isinstance(item.model, DeploymentDocument):
            resolved = _deployment(item, env_item, used, problems)
            if resolved is not None:
                documents.append(resolved)
        elif item is not settings_item:
            documents.append(item)
    own_names = [d.model.metadata.name for d in documents if isinstance(d.model, DeploymentDocument)]
    settings = _settings(settings_item, env_item, others, own_names, problems)
    if settings is not None:
        documents.insert(0, settings)
    for index, patch in enumerate(spec.patches):
        if not used[index]:
            problems.append(_unmatched(env_item, index, patch))
    _check_globs(env_item, base, problems)
    foreign = {pin: owner for (owner, _name), (pin, _where) in pins.items() if owner != environment}
    info = EnvironmentInfo(
        name=environment,
        name_prefix=spec.name_prefix,
        name_suffix=spec.name_suffix,
        api_url=spec.api_url,
        token_env=spec.token_env,
        source=env_item.doc.locate(("metadata", "name")),
    )
    return Resolution(documents, [_tagged(p, environment) for p in problems], info, names,
                      _policy_paths(settings_item, env_item), foreign)


def _admits(env_item: ParsedDocument, name: str) -> bool:
    return isinstance(env_item.model, EnvironmentDocument) and _admitted(name, env_item.model)


def _pins(
    base: list[ParsedDocument], envs: dict[str, ParsedDocument], problems: list[Diagnostic]
) -> dict[tuple[str, str], tuple[str, Location]]:
    """Every pinned id, by (environment, base name): from each Environment's ``spec.ids``, else the base
    ``metadata.id`` (which belongs to an environment only when it is the one environment admitting it).
    Problems: a base pin under two or more environments, an id pinned by two environments, an
    ``ids`` entry naming no deployment of its environment."""
    deployments = {p.model.metadata.name: p for p in base if isinstance(p.model, DeploymentDocument)}
    pins: dict[tuple[str, str], tuple[str, Location]] = {}
    for name, item in deployments.items():
        model = item.model
        assert isinstance(model, DeploymentDocument)
        if model.metadata.id is None:
            continue
        admitting = [n for n, e in envs.items() if _admits(e, name)]
        where = item.doc.locate(("metadata", "id"))
        if len(admitting) > 1:
            problems.append(
                Diagnostic(
                    f"environments {', '.join(admitting)} would all use the pinned id {model.metadata.id!r} of "
                    f"{name!r}: a pinned id belongs to one environment",
                    where,
                    "metadata.id",
                    f"move it to the Environment it belongs to (spec.ids: {{{name}: {model.metadata.id}}}) "
                    "and remove it here; `comfyops import --env NAME` writes pins there",
                )
            )
        elif admitting:
            pins[(admitting[0], name)] = (model.metadata.id, where)
    for env_name, env_item in envs.items():
        env = env_item.model
        assert isinstance(env, EnvironmentDocument)
        for name, pin in env.spec.ids.items():
            where = env_item.doc.locate(("spec", "ids", name))
            if name not in deployments or not _admitted(name, env):
                problems.append(
                    Diagnostic(
                        f"environment {env_name}: ids names {name!r}, which is no deployment of this environment",
                        where,
                        f"spec.ids.{name}",
                        did_you_mean(name, [n for n in deployments if _admitted(n, env)])
                        or "keys are base deployment names (without name_prefix/name_suffix)",
                    )
                )
                continue
            pins[(env_name, name)] = (pin, where)
    owners: dict[str, tuple[str, str, Location]] = {}
    for (env_name, name), (pin, where) in sorted(pins.items()):
        first = owners.setdefault(pin, (env_name, name, where))
        if first[0] != env_name:
            problems.append(
                Diagnostic(
                    f"environment {env_name}: id {pin!r} is also pinned by environment {first[0]} (at {first[2]}): "
                    "a live deployment belongs to one environment",
                    where,
                    f"spec.ids.{name}",
                    "remove the pin from the environment it does not belong to",
                )
            )
    return pins


def _environments(parsed: list[ParsedDocument], problems: list[Diagnostic]) -> dict[str, ParsedDocument]:
    found: dict[str, ParsedDocument] = {}
    for item in parsed:
        if not isinstance(item.model, EnvironmentDocument):
            continue
        name = item.model.metadata.name
        if name in found:
            problems.append(
                Diagnostic(
                    f"environment {name!r} is declared twice (also at {found[name].doc.locate(('metadata', 'name'))})",
                    item.doc.locate(("metadata", "name")),
                    "metadata.name",
                    "names must be unique across all manifests; rename or remove one",
                )
            )
            continue
        found[name] = item
    return found


def _tagged(problem: Diagnostic, environment: str) -> Diagnostic:
    if problem.message.startswith(("environment ", "environments ", "--env")):
        return problem
    return dataclasses.replace(problem, message=f"environment {environment}: {problem.message}")


def _matches(name: str, patterns: str | list[str]) -> bool:
    globs = [patterns] if isinstance(patterns, str) else patterns
    return any(fnmatch.fnmatchcase(name, g) for g in globs)


def _admitted(name: str, env: EnvironmentDocument) -> bool:
    spec = env.spec
    if spec.include and not _matches(name, spec.include):
        return False
    return not (spec.exclude and _matches(name, spec.exclude))


def _affixed(name: str, env: EnvironmentDocument) -> str:
    return f"{env.spec.name_prefix}{name}{env.spec.name_suffix}"


def _deep_merge(base: Any, patch: Any) -> Any:
    """``patch`` over ``base``: mappings merge key by key; anything else (lists included) replaces."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = _deep_merge(base.get(key), value) if key in base else value
        return merged
    return patch


def _remapped(source: Document, prefix: PathKey, target: PathKey, data: Any) -> tuple[dict[PathKey, Location], ...]:
    """Positions in ``source`` under ``prefix``, re-keyed under ``target`` (for values a patch wrote)."""
    positions: dict[PathKey, Location] = {}
    keys: dict[PathKey, Location] = {}
    for path in _paths(data, ()):
        where = source.position_at((*prefix, *path))
        if where is not None:
            positions[(*target, *path)] = where
        key_where = source.key_position_at((*prefix, *path))
        if key_where is not None:
            keys[(*target, *path)] = key_where
    return positions, keys


def _paths(value: Any, prefix: PathKey) -> Iterable[PathKey]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _dump(model: BaseModel) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(mode="python", exclude_unset=True, by_alias=True)
    return data


def _deployment(
    item: ParsedDocument, env_item: ParsedDocument, used: list[bool], problems: list[Diagnostic]
) -> ParsedDocument | None:
    env = env_item.model
    model = item.model
    assert isinstance(env, EnvironmentDocument) and isinstance(model, DeploymentDocument)
    base_name = model.metadata.name
    if not _admitted(base_name, env):
        return None
    data = _dump(model)
    positions = dict(item.doc.positions)
    key_positions = dict(item.doc.key_positions)
    sensitive = set(item.sensitive_paths)
    patched = False
    for index, patch in enumerate(env.spec.patches):
        if not _matches(base_name, patch.match):
            continue
        used[index] = True
        if not _patch_keys_known(env_item, index, patch, problems):
            continue
        patched = True
        data["spec"] = _deep_merge(data.get("spec", {}), patch.spec)
        where, keys = _remapped(env_item.doc, ("spec", "patches", index, "spec"), ("spec",), patch.spec)
        positions.update(where)
        key_positions.update(keys)
        for path in _paths(patch.spec, ()):
            if path:
                sensitive.discard(("spec", *path))
        prefix = ("spec", "patches", index, "spec")
        sensitive.update(("spec", *p[len(prefix):]) for p in env_item.sensitive_paths if p[: len(prefix)] == prefix)
    metadata = dict(data.get("metadata", {}))
    pin = env.spec.ids.get(base_name)
    if pin is not None and metadata.get("id") not in (None, pin):
        problems.append(
            Diagnostic(
                f"{base_name!r} is pinned twice: metadata.id {metadata['id']!r} and this environment's {pin!r}",
                env_item.doc.locate(("spec", "ids", base_name)),
                f"spec.ids.{base_name}",
                "keep one pin: the environment's",
            )
        )
        return None
    if pin is not None and metadata.get("id") != pin:
        metadata["id"] = pin
        positions[("metadata", "id")] = env_item.doc.locate(("spec", "ids", base_name))
        patched = True
    metadata["name"] = _affixed(base_name, env)
    if metadata.get("previous_names"):
        metadata["previous_names"] = [_affixed(old, env) for old in metadata["previous_names"]]
    data["metadata"] = metadata
    if not _NAME.match(metadata["name"]):
        return None  # reported once by _check_affixes
    doc = Document(
        data=data,
        path=item.doc.path,
        index=item.doc.index,
        start=item.doc.start,
        positions=positions,
        key_positions=key_positions,
        node=item.doc.node,  # every position a patch did not write is the base document's
    )
    if not patched and metadata["name"] == base_name:
        return ParsedDocument(doc=doc, model=model, sensitive_paths=sensitive)
    try:
        resolved = DeploymentDocument.model_validate(data)
    except ValidationError as exc:
        problems.extend(messages.diagnostics_from(exc, doc, DeploymentDocument))
        return None
    return ParsedDocument(doc=doc, model=resolved, sensitive_paths=sensitive)


def _patch_keys_known(
    env_item: ParsedDocument, index: int, patch: EnvironmentPatch, problems: list[Diagnostic]
) -> bool:
    allowed = sorted(DeploymentSpec.model_fields)
    bad = [key for key in patch.spec if key not in DeploymentSpec.model_fields]
    for key in bad:
        path: PathKey = ("spec", "patches", index, "spec", key)
        problems.append(
            Diagnostic(
                f"unknown Deployment spec field {key!r} in patch",
                env_item.doc.locate_key(path),
                dotted(path),
                did_you_mean(key, allowed) or f"allowed: {', '.join(allowed)}",
            )
        )
    return not bad


def _unmatched(env_item: ParsedDocument, index: int, patch: EnvironmentPatch) -> Diagnostic:
    globs = [patch.match] if isinstance(patch.match, str) else patch.match
    path: PathKey = ("spec", "patches", index, "match")
    return Diagnostic(
        f"patch {index + 1} matches no deployment ({', '.join(globs)})",
        env_item.doc.locate(path),
        dotted(path),
        "match is a glob over base deployment names (without name_prefix/name_suffix)",
        severity=Severity.WARNING,
    )


def _check_globs(env_item: ParsedDocument, base: list[ParsedDocument], problems: list[Diagnostic]) -> None:
    names = [p.model.metadata.name for p in base if isinstance(p.model, DeploymentDocument)]
    env = env_item.model
    assert isinstance(env, EnvironmentDocument)
    for key in ("include", "exclude"):
        for index, glob in enumerate(getattr(env.spec, key)):
            if not any(fnmatch.fnmatchcase(n, glob) for n in names):
                path: PathKey = ("spec", key, index)
                problems.append(
                    Diagnostic(
                        f"{key} glob {glob!r} matches no deployment",
                        env_item.doc.locate(path),
                        dotted(path),
                        "globs match base deployment names (without name_prefix/name_suffix)",
                        severity=Severity.WARNING,
                    )
                )


def _check_affixes(env_item: ParsedDocument, problems: list[Diagnostic]) -> None:
    env = env_item.model
    assert isinstance(env, EnvironmentDocument)
    sample = _affixed("a", env)
    if _NAME.match(sample) and len(sample) <= 100:
        return
    key = "name_prefix" if env.spec.name_prefix and not _NAME.match(env.spec.name_prefix + "a") else "name_suffix"
    problems.append(
        Diagnostic(
            f"{key} {getattr(env.spec, key)!r} makes invalid deployment names",
            env_item.doc.locate(("spec", key)),
            f"spec.{key}",
            "deployment names are letters, digits, '-', '_' and '.', starting with a letter or digit",
        )
    )


def _settings(
    settings_item: ParsedDocument | None,
    env_item: ParsedDocument,
    others: list[Any],
    own_names: list[str],
    problems: list[Diagnostic],
) -> ParsedDocument | None:
    env = env_item.model
    assert isinstance(env, EnvironmentDocument)
    base_model = settings_item.model if settings_item is not None else None
    base_spec = base_model.spec if isinstance(base_model, SettingsDocument) else SettingsSpec()
    overlay = env.spec.settings
    overlay_data = _dump(overlay) if overlay is not None else {}
    merged = _deep_merge(_dump(base_spec), overlay_data)
    prune = dict(merged.get("prune", {}))
    if "match" not in overlay_data.get("prune", {}):
        prune["match"] = [_affixed(p, env) for p in base_spec.prune.match]
    exclusions = [f"{o.name_prefix}*{o.name_suffix}" for o in others if o.name_prefix or o.name_suffix]
    exclusions = [x for x in exclusions if not any(fnmatch.fnmatchcase(n, x) for n in own_names)]
    if exclusions:
        prune["exclude"] = [*prune.get("exclude", []), *(x for x in exclusions if x not in prune.get("exclude", []))]
    if prune:
        merged["prune"] = prune
    if settings_item is None and overlay is None and not exclusions:
        return None
    if settings_item is not None:
        base_doc = settings_item.doc
        data = {**_dump(settings_item.model), "spec": merged}
    else:
        base_doc = env_item.doc
        data = {"apiVersion": "comfyops/v1", "kind": "Settings", "spec": merged}
    positions = dict(base_doc.positions) if settings_item is not None else {}
    key_positions = dict(base_doc.key_positions) if settings_item is not None else {}
    where, keys = _remapped(env_item.doc, ("spec", "settings"), ("spec",), overlay_data)
    positions.update(where)
    key_positions.update(keys)
    doc = Document(data=data, path=base_doc.path, index=base_doc.index, start=base_doc.start,
                   positions=positions, key_positions=key_positions,
                   node=base_doc.node if settings_item is not None else None)
    try:
        model = SettingsDocument.model_validate(data)
    except ValidationError as exc:
        problems.extend(messages.diagnostics_from(exc, doc, SettingsDocument))
        return None
    sensitive = set(settings_item.sensitive_paths) if settings_item is not None else set()
    return ParsedDocument(doc=doc, model=model, sensitive_paths=sensitive)


def _policy_paths(settings_item: ParsedDocument | None, env_item: ParsedDocument | None) -> tuple[str, ...]:
    """Settings.policy.paths resolved against the folder of the document that wrote them."""
    env = env_item.model if env_item is not None else None
    if isinstance(env, EnvironmentDocument) and env.spec.settings is not None:
        policy = env.spec.settings.policy
        if "paths" in policy.model_fields_set and "policy" in env.spec.settings.model_fields_set:
            return _relative_to(env_item, policy.paths)  # type: ignore[arg-type]
    if settings_item is not None and isinstance(settings_item.model, SettingsDocument):
        return _relative_to(settings_item, settings_item.model.spec.policy.paths)
    return ()


def _relative_to(item: ParsedDocument, paths: list[str]) -> tuple[str, ...]:
    folder = Path(item.doc.path).parent
    return tuple(files.display_path(folder / p) for p in paths)
