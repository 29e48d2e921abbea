"""YAML documents with the source position of every value.

Effectful only in that :func:`read_documents` reads one file. PyYAML composes each document into
nodes; we construct plain Python values from them (safe types only) and, alongside, an index from
each value's path (``("spec", "min_instances")``) to its line and column, so that every later
problem can name ``file:line:column``. YAML errors (syntax, tabs, duplicate keys) become
diagnostics, never exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reconciler.diagnostics import Diagnostic, Location

PathKey = tuple[str | int, ...]


@dataclass
class Document:
    """One YAML document: its plain value, where it starts, and the position of every value in it."""

    data: Any
    path: str
    index: int
    start: Location
    positions: dict[PathKey, Location] = field(default_factory=dict)
    key_positions: dict[PathKey, Location] = field(default_factory=dict)

    def locate(self, key_path: PathKey) -> Location:
        """The position of the value at ``key_path``, or of its nearest located ancestor."""
        for end in range(len(key_path), -1, -1):
            prefix = tuple(key_path[:end])
            if prefix in self.key_positions:
                return self.key_positions[prefix]
            if prefix in self.positions:
                return self.positions[prefix]
        return self.start

    def locate_key(self, key_path: PathKey) -> Location:
        """The position of the mapping key at ``key_path`` (for 'unknown key' problems)."""
        return self.key_positions.get(tuple(key_path)) or self.locate(key_path)


_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's composer when PyYAML was built with it (about 7x faster); the pure-Python one otherwise."""


class _Constructor(yaml.constructor.SafeConstructor):
    """Safe YAML types; the position index is built separately from the same nodes."""


def _mark(path: str, mark: yaml.Mark | None) -> Location:
    if mark is None:
        return Location(path)
    return Location(path, mark.line + 1, mark.column + 1)


def _index(node: yaml.Node, key_path: PathKey, doc: Document, problems: list[Diagnostic]) -> None:
    doc.positions[key_path] = _mark(doc.path, node.start_mark)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, Location] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            where = _mark(doc.path, key_node.start_mark)
            if key in seen:
                problems.append(
                    Diagnostic(
                        f"duplicate key {key!r} (first defined at line {seen[key].line})",
                        where,
                        dotted(key_path),
                        "remove one of them",
                    )
                )
            seen[key] = where
            doc.key_positions[(*key_path, key)] = where
            _index(value_node, (*key_path, key), doc, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, (*key_path, i), doc, problems)


def dotted(key_path: PathKey | list[str | int]) -> str:
    """A field path for messages: ``spec.smoke.expect.outputs."136".images``."""
    parts: list[str] = []
    for key in key_path:
        if isinstance(key, int):
            parts.append(f"[{key}]")
        elif isinstance(key, str) and key.replace("_", "").replace("-", "").isalnum() and not key[:1].isdigit():
            parts.append(f".{key}" if parts else key)
        else:
            parts.append(f".{_quote(str(key))}" if parts else _quote(str(key)))
    return "".join(parts)


def _quote(key: str) -> str:
    return '"' + key.replace('"', '\\"') + '"'


def _yaml_error(path: str, exc: yaml.YAMLError) -> Diagnostic:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    hint = ""
    if "\t" in str(problem) or "'\\t'" in str(problem):
        problem = "tab character used for indentation"
        hint = "YAML allows only spaces for indentation; replace the tab with spaces"
    elif "but got '{'" in str(problem):
        hint = 'quote values that contain ${VAR} inside [...] or {...}: "${VAR}"'
    elif "mapping values are not allowed" in str(problem):
        hint = "a value containing ': ' must be quoted, or the indentation is off"
    return Diagnostic(f"invalid YAML: {problem}", _mark(path, mark), "", hint)


def _detailed_error(text: str) -> yaml.YAMLError | None:
    """The pure-Python parser's error for ``text``: it words them better (tabs, what it expected)."""
    try:
        list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        return exc
    return None


def parse_documents(text: str, path: str) -> tuple[list[Document], list[Diagnostic]]:
    """Every non-empty document in ``text`` with positions, or the YAML problems found."""
    problems: list[Diagnostic] = []
    documents: list[Document] = []
    try:
        nodes = list(yaml.compose_all(text, Loader=_LOADER))
    except yaml.YAMLError as fast_error:
        return [], [_yaml_error(path, _detailed_error(text) or fast_error)]
    for index, node in enumerate(nodes):
        if node is None:
            continue
        try:
            data = _Constructor().construct_document(node)
        except yaml.YAMLError as exc:
            problems.append(_yaml_error(path, exc))
            continue
        doc = Document(data=data, path=path, index=index, start=_mark(path, node.start_mark))
        _index(node, (), doc, problems)
        if data is None:
            continue
        documents.append(doc)
    return documents, problems


def read_documents(file: Path, display_path: str) -> tuple[list[Document], list[Diagnostic]]:
    """Read and parse one manifest file; an empty file is a problem, not an empty result."""
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return [], [Diagnostic("file is not UTF-8 text", Location(display_path), "", "save it as UTF-8")]
    except OSError as exc:
        return [], [Diagnostic(f"cannot read file: {exc.strerror}", Location(display_path))]
    documents, problems = parse_documents(text, display_path)
    if not documents and not problems:
        problems.append(
            Diagnostic(
                "file is empty: no YAML documents",
                Location(display_path, 1, 1),
                "",
                "add a document (apiVersion: comfyops/v1, kind: ...) or delete the file",
            )
        )
    return documents, problems
