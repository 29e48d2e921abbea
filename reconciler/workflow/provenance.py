"""Where an ``object_info.json`` came from: the provenance record kept beside it.

An object_info fetched from the deployment itself lists *that machine's* files, so a model name
missing from it is a certain mistake; one copied by hand may describe another machine, so a missing
name is only a warning. The difference is recorded in a small JSON file next to the catalogue, named
after it with ``.source.json`` in place of ``.json`` (``object_info.json`` ->
``object_info.source.json``, ``flux.v3.object_info.json`` -> ``flux.v3.object_info.source.json``)::

    {"comfyops_object_info_source": 1, "origin": "deployment",
     "deployment_id": "...", "deployment_name": "...",
     "workflow_id": "...", "workflow_version": "v3", "fetched_at": "2026-11-27T16:00:00Z"}

``comfyops import --with-workflows`` writes it (built by :func:`source_record`); only
``"origin": "deployment"`` makes the lists authoritative. The record never holds the
``object_info_url`` (it may be signed). Pure, except :func:`read_source_record`, which reads one file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler import readfile
from reconciler.diagnostics import Diagnostic, Location, Severity

DEPLOYMENT_ORIGIN = "deployment"
"""``origin`` of a catalogue fetched from the deployment's own ``object_info_url``."""
FORMAT_KEY = "comfyops_object_info_source"
FORMAT_VERSION = 1
_TEXT_FIELDS = ("deployment_id", "deployment_name", "workflow_id", "workflow_version", "fetched_at")


@dataclass(frozen=True)
class ObjectInfoSource:
    """Where an object_info came from; ``origin == "deployment"`` means the deployment's own catalogue."""

    origin: str
    deployment_id: str = ""
    deployment_name: str = ""
    workflow_id: str = ""
    workflow_version: str = ""
    fetched_at: str = ""

    @property
    def from_deployment(self) -> bool:
        """Whether this is the deployment's own catalogue (its file lists are that machine's)."""
        return self.origin == DEPLOYMENT_ORIGIN

    def describes(self, workflow_id: Any, workflow_version: Any) -> bool:
        """Whether it was fetched for this workflow version (fields it does not record match anything)."""
        return (not self.workflow_id or self.workflow_id == workflow_id) and (
            not self.workflow_version or self.workflow_version == workflow_version
        )


def source_path(object_info_path: str | Path) -> Path:
    """The provenance record's path for an object_info file: ``X.json`` -> ``X.source.json``."""
    path = Path(object_info_path)
    stem = path.name[: -len(".json")] if path.name.endswith(".json") else path.name
    return path.with_name(f"{stem}.source.json")


def source_record(
    *,
    deployment_id: str = "",
    deployment_name: str = "",
    workflow_id: str = "",
    workflow_version: str = "",
    fetched_at: str = "",
) -> dict[str, Any]:
    """The JSON to write beside an object_info fetched from a deployment's ``object_info_url``."""
    record: dict[str, Any] = {FORMAT_KEY: FORMAT_VERSION, "origin": DEPLOYMENT_ORIGIN}
    values = (deployment_id, deployment_name, workflow_id, workflow_version, fetched_at)
    record.update({name: value for name, value in zip(_TEXT_FIELDS, values, strict=True) if value})
    return record


def parse_source_record(data: Any) -> ObjectInfoSource | None:
    """The record as an :class:`ObjectInfoSource`, or None when it is not one."""
    if not isinstance(data, dict) or not isinstance(data.get("origin"), str):
        return None
    texts = {name: data[name] for name in _TEXT_FIELDS if isinstance(data.get(name), str)}
    return ObjectInfoSource(origin=data["origin"], **texts)


def read_source_record(object_info_path: str | Path) -> tuple[ObjectInfoSource | None, list[Diagnostic]]:
    """The provenance record beside an object_info file: None and no problem when there is none.

    A record that cannot be read is a warning, and the catalogue is then treated as hand-placed.
    """
    path = source_path(object_info_path)
    if not readfile.is_regular_file(path):
        return None, []
    try:
        data = readfile.parse_json(readfile.read_text(path, limit=readfile.WORKFLOW_LIMIT, encoding="utf-8-sig"))
    except readfile.FileProblem as exc:
        return None, [_ignored(path, f"cannot be read ({exc.message})")]
    except ValueError as exc:
        return None, [_ignored(path, f"cannot be read ({exc})")]
    record = parse_source_record(data)
    if record is None:
        return None, [_ignored(path, 'is not a provenance record (a JSON object with a string "origin")')]
    return record, []


def _ignored(path: Path, why: str) -> Diagnostic:
    return Diagnostic(
        f"object_info provenance record {why}; its object_info is treated as hand-placed",
        Location(str(path)),
        hint="delete it, or re-run `comfyops import --with-workflows` to rewrite it",
        severity=Severity.WARNING,
    )
