"""The resolved manifests as plain documents: for ``validate --print`` (YAML) and for policies' input.

Pure. Each document is what one environment gets after resolution (names with their prefix/suffix,
patches merged, settings merged), as written: fields a manifest leaves out stay out, so the output
reads like the manifests themselves (``kustomize build``). Interpolated values are masked, because
this output lands in CI logs and policy inputs.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from reconciler.manifest.parsed import ParsedDocument
from reconciler.manifest.source import PathKey
from reconciler.secrets import SENSITIVE

_KIND_ORDER = {"Settings": 0, "Deployment": 1, "OverridePreset": 2}


def resolved_documents(documents: list[ParsedDocument]) -> list[dict[str, Any]]:
    """Every resolved document as a JSON-ready mapping, Settings first, then by kind and name."""
    out: list[tuple[int, str, dict[str, Any]]] = []
    for item in documents:
        data: dict[str, Any] = item.model.model_dump(mode="json", exclude_unset=True, by_alias=True)
        for path in item.sensitive_paths:
            _mask(data, path)
        metadata = data.get("metadata") or {}
        out.append((_KIND_ORDER.get(str(data.get("kind")), 9), str(metadata.get("name", "")), data))
    return [data for _, _, data in sorted(out, key=lambda t: (t[0], t[1]))]


def to_yaml(documents: list[dict[str, Any]], *, header: str = "") -> str:
    """Multi-document YAML of ``documents``, keys in the order apiVersion, kind, metadata, spec."""
    parts = []
    for document in documents:
        ordered = {k: document[k] for k in ("apiVersion", "kind", "metadata", "spec") if k in document}
        parts.append(yaml.safe_dump(copy.deepcopy(ordered), sort_keys=False, allow_unicode=True, width=120))
    body = "---\n".join(parts)
    return (f"# {header}\n" if header else "") + body


def _has(data: Any, key: Any) -> bool:
    if isinstance(data, dict):
        return key in data
    return isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data)


def _mask(data: Any, path: PathKey) -> None:
    if not path:
        return
    for key in path[:-1]:
        if not _has(data, key):
            return
        data = data[key]
    if _has(data, path[-1]):
        data[path[-1]] = SENSITIVE
