"""A manifest document after its own checks, before the checks that span documents.

Pure value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel

from reconciler.manifest.source import Document, PathKey


@dataclass
class ParsedDocument:
    """One manifest document that passed its own checks: its source and its validated model."""

    doc: Document
    model: BaseModel
    sensitive_paths: set[PathKey] = field(default_factory=set)
