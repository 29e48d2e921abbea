"""JSON Schemas of the manifest kinds, generated from the models (never written by hand).

Pure: returns the schema documents as text; ``comfyops schema`` writes or checks them. One schema
per kind, plus ``comfyops.schema.json`` for any document of a manifest file (editors validate each
YAML document of a multi-document file against it via the ``yaml-language-server`` comment).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import Field, TypeAdapter

from reconciler.manifest import scalars
from reconciler.manifest.model import (
    DeploymentDocument,
    EnvironmentDocument,
    OverridePresetDocument,
    SettingsDocument,
)

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE_ID = "https://comfyops.dev/schemas/"

AnyDocument = Annotated[
    DeploymentDocument | OverridePresetDocument | SettingsDocument | EnvironmentDocument, Field(discriminator="kind")
]


_SCALARS = ("integer", "number", "boolean")
_KEEP_OUTSIDE = ("title", "description", "default")


def allow_variables(node: Any) -> Any:
    """The schema with every integer, number and boolean also accepting one ``${VAR}`` reference.

    The loader substitutes variables before validating, so ``min_instances: ${MIN}`` is valid; without
    this, editors flag it.
    """
    if isinstance(node, list):
        return [allow_variables(item) for item in node]
    if not isinstance(node, dict):
        return node
    variable = {"type": "string", "pattern": scalars.VARIABLE_PATTERN}
    members = node.get("anyOf")
    if isinstance(members, list) and any(isinstance(m, dict) and m.get("type") in _SCALARS for m in members):
        rest = {k: allow_variables(v) for k, v in node.items() if k != "anyOf"}
        kept = [_bounds(m) if isinstance(m, dict) and m.get("type") in _SCALARS else allow_variables(m)
                for m in members]
        return {**rest, "anyOf": [*kept, variable]}
    if node.get("type") in _SCALARS:
        outer = {k: v for k, v in node.items() if k in _KEEP_OUTSIDE}
        inner = {k: v for k, v in node.items() if k not in _KEEP_OUTSIDE}
        return {**outer, "anyOf": [_bounds(inner), variable]}
    return {k: allow_variables(v) for k, v in node.items()}


_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def _bounds(node: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema's names for pydantic's bounds (it leaves ge/le as they are behind a validator)."""
    return {_BOUNDS.get(k, k): v for k, v in node.items()}


def _finish(schema: dict[str, Any], file_name: str, title: str) -> str:
    schema = allow_variables(schema)
    document = {"$schema": SCHEMA_DIALECT, "$id": BASE_ID + file_name, "title": title, **schema}
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema_files() -> dict[str, str]:
    """File name -> JSON Schema text, for every schema the project publishes."""
    files = {
        "deployment.schema.json": _finish(
            DeploymentDocument.model_json_schema(), "deployment.schema.json", "ComfyOps Deployment"
        ),
        "overridepreset.schema.json": _finish(
            OverridePresetDocument.model_json_schema(), "overridepreset.schema.json", "ComfyOps OverridePreset"
        ),
        "settings.schema.json": _finish(
            SettingsDocument.model_json_schema(), "settings.schema.json", "ComfyOps Settings"
        ),
        "environment.schema.json": _finish(
            EnvironmentDocument.model_json_schema(), "environment.schema.json", "ComfyOps Environment"
        ),
    }
    combined = TypeAdapter(AnyDocument).json_schema()
    files["comfyops.schema.json"] = _finish(combined, "comfyops.schema.json", "ComfyOps manifest document")
    return files
