"""JSON Schemas of the manifest kinds, generated from the models (never written by hand).

Pure: returns the schema documents as text; ``comfyops schema`` writes or checks them. One schema
per kind, plus ``comfyops.schema.json`` for any document of a manifest file (editors validate each
YAML document of a multi-document file against it via the ``yaml-language-server`` comment).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import Field, TypeAdapter

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


def _finish(schema: dict[str, Any], file_name: str, title: str) -> str:
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
