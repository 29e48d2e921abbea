"""YAML documents with the source position of every value.

Pure but for :func:`read_text`, which reads one manifest file through :mod:`reconciler.readfile` (the
loader's input). :func:`documents_of` parses a file's text: PyYAML composes each document into
nodes; we construct plain Python values from them (safe types only) and, alongside, an index from
each value's path (``("spec", "min_instances")``) to its line and column, so that every later
problem can name ``file:line:column``. YAML errors (syntax, tabs, duplicate keys) become
diagnostics, never exceptions.
"""

from __future__ import annotations

import contextlib
import gc
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reconciler import readfile
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
    written: dict[PathKey, str] = field(default_factory=dict)
    """The source text of each number, boolean and null scalar (``1.10`` stays ``1.10``), for hints."""

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


_BASE_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's composer when PyYAML was built with it (about 7x faster); the pure-Python one otherwise."""

MAX_ALIAS_NODES = 50_000
"""Values that YAML aliases (``*name``) may repeat in one file, counted after expansion."""
MAX_DEPTH = 100
"""Deepest nesting of mappings and lists in a manifest."""
DETAILED_ERROR_LIMIT = 1024 * 1024
"""Files up to this size get the pure-Python parser's better-worded syntax errors (it is ~7x slower)."""

_TAG = "tag:yaml.org,2002:"
_IMPLICIT: list[tuple[str, str, str]] = [
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^[-+]?(?:0|[1-9][0-9]*)$", "-+0123456789"),
    ("float", r"^[-+]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$", "-+0123456789."),
    ("null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    ("merge", r"^(?:<<)$", "<"),
]
"""YAML 1.2's core schema, not PyYAML's YAML 1.1 one: ``yes``/``on``/``off`` are strings, not booleans;
``010`` and ``1:30`` are strings, not 8 and 90; a date is the string written; ``.inf``/``.nan`` are strings."""


def _yaml_loader(base: type) -> Any:
    loader: Any = type("ManifestLoader", (base,), {})
    loader.yaml_implicit_resolvers = {}
    for tag, pattern, first in _IMPLICIT:
        loader.add_implicit_resolver(_TAG + tag, re.compile(pattern), [*first, ""] if tag == "null" else list(first))
    return loader


_LOADER = _yaml_loader(_BASE_LOADER)
_SLOW_LOADER = _yaml_loader(yaml.SafeLoader)


class _Constructor(yaml.constructor.SafeConstructor):
    """JSON-like YAML types only: the values end up in request bodies and JSON plans."""

    def refuse_tag(self, node: yaml.Node) -> Any:
        """Refuse a YAML type JSON has no value for (a set, binary, a timestamp, ordered pairs)."""
        tag = node.tag.removeprefix(_TAG)
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"the YAML type !!{tag} is not allowed here: manifest values are strings, numbers, true/false, "
            "null, lists and mappings",
            node.start_mark,
        )

    def finite_float(self, node: yaml.ScalarNode) -> Any:
        """A float, refusing infinity and NaN (JSON has neither)."""
        value = self.construct_yaml_float(node)
        if value != value or value in (float("inf"), float("-inf")):
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a finite number (JSON has no infinity or NaN)", node.start_mark
            )
        return value


for _tag in ("set", "binary", "timestamp", "omap", "pairs"):
    _Constructor.add_constructor(_TAG + _tag, _Constructor.refuse_tag)  # type: ignore[type-var]
_Constructor.add_constructor(_TAG + "float", _Constructor.finite_float)  # type: ignore[type-var]


class _Refused(Exception):
    def __init__(self, message: str, hint: str, mark: yaml.Mark | None) -> None:
        super().__init__(message)
        self.message, self.hint, self.mark = message, hint, mark


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_depth(root: yaml.Node) -> None:
    """Refuse nesting past MAX_DEPTH in a tree without aliases (each node reached once)."""
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, level = stack.pop()
        if level > MAX_DEPTH:
            raise _Refused(
                f"nested more than {MAX_DEPTH} levels deep", "manifests nest a few levels; flatten the structure",
                node.start_mark,
            )
        if isinstance(node, yaml.MappingNode):
            stack.extend((n, level + 1) for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((n, level + 1) for n in node.value)


def _check_shape(root: yaml.Node) -> None:
    """Refuse recursive aliases, nesting past MAX_DEPTH, and aliases expanding past MAX_ALIAS_NODES.

    Iterative and memoised by node: an alias bomb (``&a [*a, *a, ...]`` nine levels deep) is measured
    in time linear in the file, never expanded.
    """
    cap = MAX_ALIAS_NODES * 4 + 1
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    entered: set[int] = set()
    stack: list[tuple[yaml.Node, bool, int]] = [(root, False, 1)]
    too_deep = (f"nested more than {MAX_DEPTH} levels deep", "manifests nest a few levels; flatten the structure")
    while stack:
        node, finished, level = stack.pop()
        key = id(node)
        kids = _children(node)
        if finished:
            size[key] = min(cap, 1 + sum(size[id(k)] for k in kids))
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            entered.discard(key)
            if depth[key] + level - 1 > MAX_DEPTH:  # deep through an alias reached at this level
                raise _Refused(*too_deep, node.start_mark)
            continue
        if key in size:
            continue
        if level > MAX_DEPTH:
            raise _Refused(*too_deep, node.start_mark)
        entered.add(key)
        stack.append((node, True, level))
        for kid in kids:
            if id(kid) in entered:
                raise _Refused(
                    "recursive alias: this value contains itself",
                    "an alias (*name) may not refer to a value that contains it",
                    kid.start_mark,
                )
            if id(kid) not in size:
                stack.append((kid, False, level + 1))
    expanded = size[id(root)] - len(size)
    if expanded > MAX_ALIAS_NODES:
        raise _Refused(
            f"aliases expand to more than {MAX_ALIAS_NODES} values",
            f"YAML aliases (*name) may repeat at most {MAX_ALIAS_NODES} values per file; use fewer aliases",
            root.start_mark,
        )


def _mark(path: str, mark: yaml.Mark | None) -> Location:
    if mark is None:
        return Location(path)
    return Location(path, mark.line + 1, mark.column + 1)


def _index(node: yaml.Node, key_path: PathKey, doc: Document, problems: list[Diagnostic]) -> None:
    doc.positions.setdefault(key_path, _mark(doc.path, node.start_mark))
    if isinstance(node, yaml.ScalarNode) and node.tag != _TAG + "str":
        doc.written.setdefault(key_path, node.value)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, Location] = {}
        merged: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                merged.extend(value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node])
                continue
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            where = _mark(doc.path, key_node.start_mark)
            if key in seen:
                problems.append(
                    Diagnostic(
                        f"duplicate key {_shown_key(key)} (first defined at line {seen[key].line})",
                        where,
                        dotted(key_path),
                        "remove one of them",
                    )
                )
            seen[key] = where
            doc.key_positions[(*key_path, key)] = where
            _index(value_node, (*key_path, key), doc, problems)
        for source in merged:  # '<<: *base': keys written here override the merged ones, silently
            if not isinstance(source, yaml.MappingNode):
                continue
            for key_node, value_node in source.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
                if key not in seen and key_node.tag != _TAG + "merge":
                    seen[key] = _mark(doc.path, key_node.start_mark)
                    doc.key_positions.setdefault((*key_path, key), seen[key])
                    _index(value_node, (*key_path, key), doc, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, (*key_path, i), doc, problems)


def _shown_key(key: Any) -> str:
    text = repr(key)
    return text if len(text) <= 80 else text[:77] + "..."


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


def _yaml_error(path: str, exc: yaml.YAMLError, text: str = "") -> Diagnostic:
    if isinstance(exc, yaml.reader.ReaderError):
        return _reader_error(path, exc, text)
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
    elif "exceeded maximum nesting depth" in str(problem):
        problem = f"nested more than {MAX_DEPTH} levels deep"
        hint = "manifests nest a few levels; flatten the structure"
    return Diagnostic(f"invalid YAML: {problem}", _mark(path, mark), "", hint)


def _reader_error(path: str, exc: yaml.reader.ReaderError, text: str) -> Diagnostic:
    """A control character (NUL, BEL, ESC, ...) in the file, at its line and column."""
    before = text[: exc.position] if isinstance(exc.position, int) else ""
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
    return Diagnostic(
        f"invalid YAML: control character U+{char:04X} is not allowed",
        Location(path, line, column),
        "",
        "remove it; inside a double-quoted string it can be written as an escape such as \\x07",
    )


def _detailed_error(text: str) -> yaml.YAMLError | None:
    """The pure-Python parser's error for ``text``: it words them better (tabs, what it expected)."""
    if len(text) > DETAILED_ERROR_LIMIT:
        return None
    try:
        list(yaml.compose_all(text, Loader=_SLOW_LOADER))
    except yaml.YAMLError as exc:
        return exc
    except RecursionError:
        return None
    return None


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic GC while a file's nodes pile up: its passes made a 7 MB file take 15 s instead of 1.5 s."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_documents(text: str, path: str) -> tuple[list[Document], list[Diagnostic]]:
    """Every non-empty document in ``text`` with positions, or the YAML problems found."""
    with _gc_paused():
        return _parse_documents(text, path)


def _parse_documents(text: str, path: str) -> tuple[list[Document], list[Diagnostic]]:
    problems: list[Diagnostic] = []
    documents: list[Document] = []
    try:
        may_alias = "&" in text  # an alias needs an anchor: without one, only the depth needs checking
        for index, node in enumerate(yaml.compose_all(text, Loader=_LOADER)):
            document = _document(node, index, path, text, problems, may_alias=may_alias)
            if document is not None:
                documents.append(document)
    except yaml.YAMLError as fast_error:
        return [], [_yaml_error(path, _detailed_error(text) or fast_error, text)]
    except RecursionError:
        return [], [Diagnostic(f"invalid YAML: nested more than {MAX_DEPTH} levels deep", Location(path))]
    return documents, problems


def _document(
    node: yaml.Node | None, index: int, path: str, text: str, problems: list[Diagnostic], *, may_alias: bool = True
) -> Document | None:
    """One composed document checked (aliases, depth), indexed and constructed; None if empty or refused."""
    if node is None:
        return None
    try:
        (_check_shape if may_alias else _check_depth)(node)
    except _Refused as refused:
        problems.append(Diagnostic(f"invalid YAML: {refused.message}", _mark(path, refused.mark), "", refused.hint))
        return None
    doc = Document(data=None, path=path, index=index, start=_mark(path, node.start_mark))
    index_problems: list[Diagnostic] = []
    _index(node, (), doc, index_problems)  # before constructing: that flattens '<<' merges in place
    try:
        doc.data = _Constructor().construct_document(node)
    except yaml.YAMLError as exc:
        problems.append(_yaml_error(path, exc, text))
        return None
    problems.extend(index_problems)
    return doc if doc.data is not None else None


def read_text(file: Path, display_path: str) -> tuple[str | None, list[Diagnostic]]:
    """The text of one manifest file (without a byte-order mark), or the problem reading it (not a regular
    file, too large, not UTF-8)."""
    try:
        return readfile.read_text(file, limit=readfile.MANIFEST_LIMIT).removeprefix("\ufeff"), []
    except readfile.FileProblem as problem:
        where = Location(display_path, problem.line, problem.column)
        return None, [Diagnostic(problem.message, where, "", problem.hint)]


def documents_of(text: str, display_path: str) -> tuple[list[Document], list[Diagnostic]]:
    """Parse one manifest file's text; an empty file is a problem, not an empty result."""
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
