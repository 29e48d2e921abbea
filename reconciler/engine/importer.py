"""Import: manifests written from live deployments, so that plan on them shows no changes.

Pure: live deployments in, file names and file texts out; the CLI fetches and writes. Each manifest
has the schema header line, a fixed field order (``catalog.MANAGED_FIELDS``), ``metadata.id`` pinned,
and omits every value equal to the API's default, so that the file says only what was chosen.

A live name that is not a valid manifest name (``model.NAME_PATTERN``), or that two selected live
deployments share, is imported under a valid, unique name derived from it; the id pin keeps the link,
and the first plan shows the rename (apply renames the live deployment). Workflow files (with
``--with-workflows``) go to ``workflows/<name>.<version>.json`` and are named by ``spec.workflow_file``.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from reconciler import catalog
from reconciler.engine.live import LiveDeployment
from reconciler.engine.natural import natural_key
from reconciler.manifest.model import API_VERSION, NAME_PATTERN, DeploymentDocument
from reconciler.workflow import provenance as provenance_record

WORKFLOWS_DIR = "workflows"
_NAME = re.compile(NAME_PATTERN)
_BAD_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9._/-]*$")
_INVISIBLE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
"""What JSON leaves raw but a file must not hold raw (C0 controls JSON escapes itself)."""
_YAML_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"})


@dataclass(frozen=True)
class ImportedDeployment:
    """One live deployment as import will write it."""

    name: str
    """The manifest name (``live_name`` unless that was invalid or taken)."""
    live_name: str
    id: str
    manifest_file: str
    """Relative to the output folder: ``<name>.yaml``."""
    workflow_file: str | None
    """Relative to the output folder, when the workflow is written: ``workflows/<name>.<version>.json``."""
    text: str
    workflow_api_json: Mapping[str, Any] | None = None
    problems: tuple[str, ...] = ()
    """Live values the manifest format refuses (e.g. a queue_size the API allowed): fix them before plan."""

    base_name: bool = False
    """Whether ``name`` is the base name of an environment's deployment (``import --env``), not the live one."""

    @property
    def renamed(self) -> bool:
        """Whether the manifest name differs from the live one (not counting an environment's affixes)."""
        if self.base_name:
            return False
        return self.name != self.live_name

    @property
    def object_info_file(self) -> str | None:
        """Where the workflow's object_info goes (``workflows/<name>.<version>.object_info.json``)."""
        if self.workflow_file is None:
            return None
        return self.workflow_file.removesuffix(".json") + ".object_info.json"

    @property
    def provenance_file(self) -> str | None:
        """The provenance record beside the object_info (``....object_info.source.json``)."""
        info = self.object_info_file
        return None if info is None else provenance_record.source_path(info).as_posix()


def select(
    live: Sequence[LiveDeployment], *, ids: Sequence[str] = (), names: Sequence[str] = (), everything: bool = False
) -> tuple[list[LiveDeployment], list[str]]:
    """The live deployments chosen by ``--id``, ``--name`` globs or ``--all``, and one problem per
    ``--id`` or ``--name`` that matches nothing."""
    if everything:
        return sorted(live, key=lambda d: (natural_key(d.name), d.id)), []
    problems: list[str] = []
    known_ids = {d.id for d in live}
    problems.extend(f"--id {i}: no live deployment has this id" for i in ids if i not in known_ids)
    problems.extend(
        f"--name {g!r}: no live deployment matches"
        for g in names
        if not any(fnmatch.fnmatchcase(d.name, g) for d in live)
    )
    chosen = [d for d in live if d.id in ids or any(fnmatch.fnmatchcase(d.name, g) for g in names)]
    return sorted(chosen, key=lambda d: (natural_key(d.name), d.id)), problems


def valid_name(live_name: str, deployment_id: str) -> str:
    """``live_name`` if it is a valid manifest name, else the nearest valid one (or one made from the id)."""
    if _NAME.match(live_name):
        return live_name
    name = _BAD_CHARS.sub("-", live_name).strip("-._")[:100].rstrip("-._")
    return name if _NAME.match(name) else f"deployment-{_short(deployment_id)}"


def plan_import(
    selected: Sequence[LiveDeployment],
    *,
    schema_ref: str,
    with_workflows: bool = False,
    base_names: Mapping[str, str] | None = None,
) -> list[ImportedDeployment]:
    """What import writes for ``selected``: names made valid and unique, one manifest text each.

    ``base_names`` (id -> name, for ``import --env``) names the manifests after the environment's affixes
    are stripped; their texts then pin no id (the environment does).
    """
    wanted = [valid_name(base_names[d.id] if base_names else d.name, d.id) for d in selected]
    counts = Counter(wanted)
    taken: set[str] = set()
    out: list[ImportedDeployment] = []
    for deployment, name in zip(selected, wanted, strict=True):
        if counts[name] > 1 or name in taken:
            name = _unique(f"{name[:91]}-{_short(deployment.id)}", taken)
        taken.add(name)
        graph = deployment.workflow_api_json if with_workflows else None
        workflow_file = None
        if graph is not None:
            version = _BAD_CHARS.sub("-", str(deployment.fields.get("workflow_version", ""))) or "version"
            workflow_file = f"{WORKFLOWS_DIR}/{name}.{version}.json"
        out.append(
            ImportedDeployment(
                name=name,
                live_name=deployment.name,
                id=deployment.id,
                manifest_file=f"{name}.yaml",
                workflow_file=workflow_file,
                text=manifest_text(deployment, name=name, schema_ref=schema_ref, workflow_file=workflow_file,
                                   pin=base_names is None),
                workflow_api_json=graph,
                problems=manifest_problems(deployment, name),
                base_name=base_names is not None,
            )
        )
    return out


def manifest_problems(deployment: LiveDeployment, name: str) -> tuple[str, ...]:
    """Why the manifest written for ``deployment`` would not validate (live values outside its ranges)."""
    spec = {k: v for k, v in deployment.fields.items() if v is not None}
    document = {"apiVersion": API_VERSION, "kind": "Deployment", "metadata": {"name": name, "id": deployment.id},
                "spec": spec}
    try:
        DeploymentDocument.model_validate(document)
    except ValidationError as exc:
        return tuple(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_input=False)
        )
    return ()


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}-{n}", n + 1
    return candidate


def _short(deployment_id: str) -> str:
    return _BAD_CHARS.sub("", deployment_id)[:8] or "x"


def manifest_text(
    deployment: LiveDeployment, *, name: str, schema_ref: str, workflow_file: str | None = None, pin: bool = True
) -> str:
    """The Deployment manifest for ``deployment`` under ``name``: header, fixed order, defaults omitted;
    ``metadata.id`` pinned unless ``pin`` is false (an environment pins it instead)."""
    lines = [
        f"# yaml-language-server: $schema={schema_ref}",
        f"# Imported from RunComfy deployment {_comment(deployment.name)} ({_comment(deployment.id)}).",
        f"apiVersion: {API_VERSION}",
        "kind: Deployment",
        "metadata:",
        f"  name: {_scalar(name)}",
        *([f"  id: {_scalar(deployment.id)}"] if pin else []),
        "spec:",
    ]
    for field in catalog.MANAGED_FIELDS:
        value = deployment.fields.get(field)
        if field not in ("workflow_id", "workflow_version") and value == catalog.API_DEFAULTS.get(field):
            continue
        if value is None:
            continue
        lines.append(f"  {field}: {_scalar(value)}")
        if field == "workflow_version" and workflow_file is not None:
            lines.append(f"  workflow_file: {_scalar(workflow_file)}")
    return "\n".join(lines) + "\n"


def workflow_text(graph: Mapping[str, Any]) -> str:
    """A workflow_api.json as written: indented, keys in the deployment's order."""
    return _json(graph, indent=2) + "\n"


def provenance(deployment: LiveDeployment, *, fetched_at: str) -> dict[str, Any]:
    """The object_info's provenance record (``workflow.provenance``): it came from this deployment's
    own ``object_info_url``, for this workflow version. The URL itself is never recorded."""
    return provenance_record.source_record(
        deployment_id=deployment.id,
        deployment_name=deployment.name,
        workflow_id=str(deployment.fields.get("workflow_id") or ""),
        workflow_version=str(deployment.fields.get("workflow_version") or ""),
        fetched_at=fetched_at,
    )


def _comment(text: str) -> str:
    """A live value in a comment line: as it is when it needs no escape, else JSON-quoted with escapes."""
    quoted = _json(str(text))
    return quoted[1:-1] if quoted[1:-1] == text and text.strip() == text and text else quoted


def _json(value: Any, indent: int | None = None) -> str:
    """JSON (also a YAML double-quoted scalar) in which every control character, bidi override and line
    separator is a ``\\u`` escape: a hostile live value reads back exactly and is never raw in the file."""
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def _scalar(value: Any) -> str:
    """A YAML scalar that reads back as exactly ``value`` (and never as a ``${VAR}`` reference)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    text = str(value).replace("${", "$${")
    if _PLAIN.match(text) and text.lower() not in _YAML_WORDS and not _number_like(text):
        return text
    return _json(text)


def _number_like(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True

