"""Whether a YAML file a folder walk found is a ComfyOps manifest: decided by parsing, never by matching text.

Pure. A folder walk (``-f DIR``) meets other tools' YAML (CI workflows, docker-compose files, Kubernetes
manifests, data files) and must skip it; but a real manifest it skipped would read as "not declared",
which prune turns into a delete. So the walk parses every ``*.yaml``/``*.yml`` file (once) and looks at
each document's top-level keys:

- **ours**: ``apiVersion`` is a string that starts with ``comfyops/`` (or is a near miss of it, checked
  and reported with a did-you-mean); or, with no valid string ``apiVersion``, the ``kind`` is one of ours
  or the document has both ``metadata`` and ``spec``; or, under another tool's ``apiVersion``, its
  ``spec`` has a ``workflow_id`` or ``workflow_version`` (our content under a wrong header). A file with
  one such document is read as a manifest: every problem in it is an error at file:line.
- **someone else's**: any other parsed document (``apiVersion: apps/v1``, a list of rows, ...).
- A file that **cannot be parsed** (a YAML error, an unknown ``!tag``, not UTF-8, too large) is ours, an
  error, unless what can be read of it is *plainly* someone else's: an event scan up to the error finds
  no document of ours and at least one document whose top-level keys are another tool's signature
  (:data:`SIGNATURES`: a GitHub workflow has ``on`` and ``jobs``; a docker-compose file has ``services``)
  or that has another tool's ``apiVersion``. A non-UTF-8 or oversized file the scan reads to the end
  without finding a document of ours is someone else's, like any parsed file.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any

import yaml

from reconciler.manifest.model import API_VERSION, KINDS

SIGNATURES: tuple[frozenset[str], ...] = (frozenset({"on", "jobs"}), frozenset({"services"}))
"""Top-level keys that mark a document as plainly another tool's: a GitHub workflow, a docker-compose file."""

_NESTED = object()
"""The value of a top-level key whose value is a mapping or a list (an event scan keeps no more of it)."""


class Owner(Enum):
    """Whose one YAML document is."""

    OURS = "ours"
    """A ComfyOps document (maybe an invalid one: then it is an error, never a skip)."""
    OTHER = "other"
    """Not ours, and nothing says whose: a data file, a list, a scalar."""
    FOREIGN = "foreign"
    """Plainly another tool's: its own apiVersion, or a signature in :data:`SIGNATURES`."""


def is_our_api_version(value: str) -> bool:
    """Whether an ``apiVersion`` string is ComfyOps's, or close enough to be a typo of it."""
    lowered = value.strip().lower()
    group = API_VERSION.split("/", 1)[0] + "/"
    return lowered.startswith(group) or difflib.SequenceMatcher(None, lowered, API_VERSION).ratio() >= 0.8


_OUR_KINDS = frozenset(kind.lower() for kind in KINDS)


def owner_of(document: Any) -> Owner:
    """Whose one document is, from its top-level keys (a parsed value, or an event scan's key map)."""
    if not isinstance(document, Mapping):
        return Owner.OTHER
    version = document.get("apiVersion")
    if isinstance(version, str) and version.strip():
        if is_our_api_version(version) or _our_spec(document):
            return Owner.OURS
        return Owner.FOREIGN
    kind = document.get("kind")
    our_kind = isinstance(kind, str) and kind.strip().lower() in _OUR_KINDS
    if our_kind or ("metadata" in document and "spec" in document):
        return Owner.OURS  # our shape without a valid apiVersion: an error naming file:line, never a skip
    keys = {key for key in document if isinstance(key, str)}
    if any(signature <= keys for signature in SIGNATURES):
        return Owner.FOREIGN
    return Owner.OTHER


def _our_spec(document: Mapping[Any, Any]) -> bool:
    """Whether a document under another apiVersion still carries a ComfyOps Deployment spec (a lost or
    mistyped header over our content, not a Kubernetes Deployment: that has no workflow_id)."""
    spec = document.get("spec")
    return isinstance(spec, Mapping) and any(key in spec for key in _OUR_SPEC_KEYS)


_OUR_SPEC_KEYS = ("workflow_id", "workflow_version")


def is_ours(parsed: Iterable[Any], *, parse_failed: bool, text: str) -> bool:
    """Whether a walked file must be read as a manifest (its problems then stand) rather than skipped.

    ``parsed`` are the values of the documents that were read; ``parse_failed`` says whether reading
    stopped on (or refused) any part of the file; ``text`` is then scanned to see what the rest is.
    """
    owners = {owner_of(value) for value in parsed}
    if Owner.OURS in owners:
        return True
    if not parse_failed:
        return False
    scanned, _ = top_level_keys(text)
    owners.update(owner_of(keys) for keys in scanned)
    if Owner.OURS in owners:
        return True
    return Owner.FOREIGN not in owners


def is_ours_unreadable(text: str) -> bool:
    """Whether a walked file that is not UTF-8 or too large (``text`` decoded leniently) may be a manifest.

    Read to the end without finding a document of ours, it is someone else's; cut short by a YAML
    error, it is ours (an error) unless plainly someone else's.
    """
    scanned, complete = top_level_keys(text)
    owners = {owner_of(keys) for keys in scanned}
    if Owner.OURS in owners:
        return True
    return not complete and Owner.FOREIGN not in owners


def top_level_keys(text: str) -> tuple[list[dict[Any, Any] | None], bool]:
    """Each document's top-level keys (with scalar values as written), read from YAML events up to any error.

    Returns the documents seen (None for one whose root is not a mapping) and whether the scan reached
    the end. Builds no nodes, so it is cheap on large files and stops at the first error.
    """
    documents: list[dict[Any, Any] | None] = []
    current: dict[Any, Any] | None = None
    depth = 0
    items = 0  # nodes started directly inside the root mapping: odd ones are keys, even ones values
    key: Any = None
    try:
        for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            starts = isinstance(event, yaml.CollectionStartEvent)
            if isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
                continue
            if not starts and not isinstance(event, yaml.ScalarEvent | yaml.AliasEvent):
                continue
            if depth == 0:
                current = {} if isinstance(event, yaml.MappingStartEvent) else None
                documents.append(current)
                items = 0
            elif depth == 1 and current is not None:
                items += 1
                value = event.value if isinstance(event, yaml.ScalarEvent) else _NESTED if starts else None
                if items % 2:
                    key = value if isinstance(value, str) else None
                elif key is not None:
                    current.setdefault(key, value)
            if starts:
                depth += 1
    except yaml.YAMLError:
        return documents, False
    return documents, True


__all__ = ["SIGNATURES", "Owner", "is_our_api_version", "is_ours", "is_ours_unreadable", "owner_of", "top_level_keys"]
