"""A manifest document after its own checks, before the checks that span documents.

Pure value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from reconciler.manifest.source import Document, PathKey


@dataclass
class ParsedDocument:
    """One manifest document that passed its own checks: its source and its validated model."""

    doc: Document
    model: BaseModel
    sensitive_paths: set[PathKey] = field(default_factory=set)


@dataclass
class PartialDocument:
    """A document that failed its own checks: the names it declares and references, where they are readable.

    Kept so that cross-document checks (duplicate names, preset references, previous names claimed
    twice) run in the same pass as the per-field checks, and so that a reference to a declared but
    invalid preset is not also reported as missing.
    """

    doc: Document
    kind: str
    name: str | None = None
    pinned_id: str | None = None
    previous_names: tuple[str, ...] = ()
    extends: tuple[str, ...] = ()
    smoke_preset: str | None = None
    spec: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_data(cls, doc: Document, data: Any) -> PartialDocument | None:
        """What can be read from a document's (possibly invalid) data; None when not even its kind is known."""
        if not isinstance(data, dict) or not isinstance(data.get("kind"), str):
            return None
        metadata = _mapping(data.get("metadata"))
        spec = _mapping(data.get("spec"))
        smoke = _mapping(spec.get("smoke"))
        return cls(
            doc=doc,
            kind=data["kind"],
            name=_text(metadata.get("name")),
            pinned_id=_text(metadata.get("id")),
            previous_names=_texts(metadata.get("previous_names")),
            extends=_texts(spec.get("extends")),
            smoke_preset=_text(smoke.get("preset")),
            spec=spec,
        )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _texts(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str) and v) if isinstance(value, list) else ()
