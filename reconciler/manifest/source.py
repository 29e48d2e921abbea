"""YAML documents with the source position of every value, found when a problem needs one.

Pure but for :func:`read_text`, which reads one manifest file through :mod:`reconciler.readfile` (the
loader's input). :func:`documents_of` parses a file's text: libyaml composes each document into nodes
that carry their line and column; one pass over those nodes builds the plain Python values (JSON's
types only), refuses nesting past :data:`MAX_DEPTH`, reports duplicate keys and notes whether any string
holds a ``$`` (so ``${VAR}`` substitution only walks documents that use it). The nodes are kept: a
position is looked up from a value's path (``("spec", "min_instances")``) only when a problem is
reported, so that every problem can name ``file:line:column`` without indexing every value up front.
YAML errors (syntax, tabs, duplicate keys) become diagnostics, never exceptions.
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
    """One YAML document: its plain value, where it starts, and the positions of its values.

    Positions come from ``node`` (the composed YAML, kept for lookups) unless ``positions`` /
    ``key_positions`` / ``written`` say otherwise for a path: an environment's resolved document takes
    the values a patch wrote, with their positions in the Environment's file, over its base document.
    """

    data: Any
    path: str
    index: int
    start: Location
    positions: dict[PathKey, Location] = field(default_factory=dict)
    key_positions: dict[PathKey, Location] = field(default_factory=dict)
    written: dict[PathKey, str] = field(default_factory=dict)
    """The source text of a number, boolean or null scalar (``1.10`` stays ``1.10``), for hints."""
    node: yaml.Node | None = field(default=None, repr=False, compare=False)
    has_dollar: bool = True
    """Whether any string in ``data`` holds a ``$`` (else ``${VAR}`` substitution has nothing to do)."""
    str_keys: bool = False
    """Whether every mapping key in ``data`` is known to be a string (YAML allows ``7:`` and ``true:`` too)."""

    def locate(self, key_path: PathKey) -> Location:
        """The position of the value at ``key_path`` (of its key, in a mapping), or of its nearest
        located ancestor."""
        chain = _chain(self.node, key_path)
        for end in range(len(key_path), -1, -1):
            prefix = tuple(key_path[:end])
            if prefix in self.key_positions:
                return self.key_positions[prefix]
            if prefix in self.positions:
                return self.positions[prefix]
            if 0 < end <= len(chain):
                key_node, value_node = chain[end - 1]
                return _mark(self.path, (key_node or value_node).start_mark)
        return self.start

    def locate_key(self, key_path: PathKey) -> Location:
        """The position of the mapping key at ``key_path`` (for 'unknown key' problems)."""
        return self.key_position_at(key_path) or self.locate(key_path)

    def position_at(self, key_path: PathKey) -> Location | None:
        """The position of the value at exactly ``key_path``, if it was written."""
        if key_path in self.positions:
            return self.positions[key_path]
        chain = _chain(self.node, key_path)
        if len(chain) < len(key_path):
            return None
        return _mark(self.path, chain[-1][1].start_mark) if chain else self.start if self.node is not None else None

    def key_position_at(self, key_path: PathKey) -> Location | None:
        """The position of the mapping key at exactly ``key_path``, if there is one."""
        if key_path in self.key_positions:
            return self.key_positions[key_path]
        chain = _chain(self.node, key_path)
        if not key_path or len(chain) < len(key_path) or chain[-1][0] is None:
            return None
        return _mark(self.path, chain[-1][0].start_mark)

    def written_at(self, key_path: PathKey) -> str | None:
        """The source text of the number, boolean or null scalar at ``key_path`` (None for others)."""
        if key_path in self.written:
            return self.written[key_path]
        if key_path in self.positions:  # a value another document wrote over this one's
            return None
        chain = _chain(self.node, key_path)
        if len(chain) < len(key_path) or not key_path:
            return None
        node = chain[-1][1]
        return node.value if isinstance(node, yaml.ScalarNode) and node.tag != _STR else None


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
    by_first = {first: tuple(found) for first, found in loader.yaml_implicit_resolvers.items()}
    scalar, sequence, mapping = loader.DEFAULT_SCALAR_TAG, loader.DEFAULT_SEQUENCE_TAG, loader.DEFAULT_MAPPING_TAG

    scalar_node, sequence_node = yaml.ScalarNode, yaml.SequenceNode

    def resolve(self: Any, kind: type, value: Any, implicit: tuple[bool, bool]) -> Any:
        """The tag of a node written without one: PyYAML's own rule (a plain scalar's first character picks
        the patterns to try) without its path resolvers, which this loader has none of. libyaml asks once per
        node: 105,000 times for 5,000 deployments."""
        if kind is scalar_node:
            if implicit[0]:
                for tag, pattern in by_first.get(value[:1], ()):
                    if pattern.match(value):
                        return tag
            return scalar
        return sequence if kind is sequence_node else mapping

    def no_path_resolvers(self: Any, *node: Any) -> None:
        """Path resolvers are not used: nothing to descend into or ascend from."""

    loader.resolve = resolve
    loader.descend_resolver = loader.ascend_resolver = no_path_resolvers
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


def _key_of(node: yaml.Node) -> Any:
    """A mapping key as paths spell it: the scalar as written (``"1"``, not 1)."""
    return node.value if isinstance(node, yaml.ScalarNode) else str(node)


def _merged(node: yaml.MappingNode) -> list[yaml.Node]:
    """The mappings a ``<<`` key merges into ``node``, in the order written."""
    sources: list[yaml.Node] = []
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE:
            sources.extend(value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node])
    return sources


def _entry(node: yaml.MappingNode, key: Any) -> tuple[yaml.Node, yaml.Node] | None:
    """The (key node, value node) of ``key`` in a mapping: written there (the last, like the value),
    else merged in by ``<<`` (the first source that has it)."""
    for key_node, value_node in reversed(node.value):  # the last one written, like the value
        if key_node.value == key and isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE:
            return key_node, value_node
    for key_node, value_node in reversed(node.value):  # a mapping or list used as a key (an error elsewhere)
        if not isinstance(key_node, yaml.ScalarNode) and str(key_node) == key:
            return key_node, value_node
    for source in _merged(node):
        if isinstance(source, yaml.MappingNode):
            for key_node, value_node in source.value:
                if key_node.tag != _MERGE and _key_of(key_node) == key:
                    return key_node, value_node
    return None


def _chain(root: yaml.Node | None, key_path: PathKey) -> list[tuple[yaml.Node | None, yaml.Node]]:
    """The (key node, value node) of each step of ``key_path`` that exists under ``root``, in order."""
    chain: list[tuple[yaml.Node | None, yaml.Node]] = []
    node = root
    for key in key_path:
        if isinstance(node, yaml.MappingNode):
            found = _entry(node, key)
            if found is None:
                break
            chain.append(found)
            node = found[1]
        elif (isinstance(node, yaml.SequenceNode) and isinstance(key, int) and not isinstance(key, bool)
              and 0 <= key < len(node.value)):
            node = node.value[key]
            chain.append((None, node))
        else:
            break
    return chain


_STR, _INT, _FLOAT, _BOOL, _NULL = (_TAG + t for t in ("str", "int", "float", "bool", "null"))
_MAP, _SEQ, _MERGE = _TAG + "map", _TAG + "seq", _TAG + "merge"
_INT_TEXT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOAT_TEXT = re.compile(r"[-+]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})


class _Builder:
    """One pass over a composed document: its plain value, depth and duplicate keys checked, ``$`` noted.

    Scalars of YAML 1.2's core schema (and the mappings and lists of them) are built here; any other
    tag (``!!binary``, ``!!set``, an unknown ``!tag``, ``!!int 0x1A``) goes to :class:`_Constructor`,
    which builds it the standard way or refuses it with a located error. Merge keys (``<<: *base``)
    merge as PyYAML merges them (keys written beside them win), without rewriting the nodes, which
    stay intact for position lookups. With ``aliases`` (the document was checked by :func:`_check_shape`)
    a node reached twice is built once and shared, as PyYAML does.
    """

    def __init__(self, path: str, problems: list[Diagnostic], *, aliases: bool) -> None:
        self.path, self.problems = path, problems
        self.built: dict[int, Any] | None = {} if aliases else None
        self.has_dollar = False
        self.str_keys = True
        self._fallback: _Constructor | None = None

    def value(self, node: yaml.Node, key_path: PathKey, level: int) -> Any:
        """The plain value of ``node`` at ``key_path``, ``level`` deep (the document is level 1)."""
        if self.built is not None and id(node) in self.built:
            return self.built[id(node)]
        tag = node.tag
        if isinstance(node, yaml.ScalarNode):
            text = node.value
            if tag == _STR:
                if "$" in text:
                    self.has_dollar = True
                return text
            if tag == _INT and _INT_TEXT.fullmatch(text):
                return int(text)
            if tag == _NULL and text in _NULLS:
                return None
            if tag == _BOOL and text in _BOOLS:
                return _BOOLS[text]
            if tag == _FLOAT and _FLOAT_TEXT.fullmatch(text):
                number = float(text)
                if number - number == 0:  # finite; infinity and NaN are refused by the standard constructor
                    return number
            return self._standard(node)
        if level > MAX_DEPTH:
            raise _Refused(f"nested more than {MAX_DEPTH} levels deep",
                           "manifests nest a few levels; flatten the structure", node.start_mark)
        if isinstance(node, yaml.SequenceNode) and tag == _SEQ:
            items: list[Any] = []
            if self.built is not None:
                self.built[id(node)] = items
            for index, item in enumerate(node.value):
                items.append(self.value(item, (*key_path, index), level + 1))
            return items
        if isinstance(node, yaml.MappingNode) and tag == _MAP:
            return self._mapping(node, key_path, level)
        return self._standard(node)

    def _mapping(self, node: yaml.MappingNode, key_path: PathKey, level: int) -> Any:
        keys = [key.value for key, _ in node.value if key.tag == _STR and type(key) is yaml.ScalarNode]
        if len(keys) == len(node.value) and len(set(keys)) == len(keys):
            return self._plain_mapping(node, keys, key_path, level)
        mapping: dict[Any, Any] = {}
        if self.built is not None:
            self.built[id(node)] = mapping
        seen: dict[Any, yaml.Node] = {}
        own: list[tuple[Any, yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                if not self._merge(value_node, mapping, key_path, level):
                    return self._standard(node)  # not mappings to merge: refused, worded the standard way
                continue
            key = _key_of(key_node)
            if key in seen:
                first = _mark(self.path, seen[key].start_mark)
                self.problems.append(Diagnostic(
                    f"duplicate key {_shown_key(key)} (first defined at line {first.line})",
                    _mark(self.path, key_node.start_mark), dotted(key_path), "remove one of them"))
            seen[key] = key_node
            own.append((key, key_node, value_node))
        for path_key, key_node, value_node in own:  # after the merged keys: a key written here wins over a merged one
            if key_node.tag == _STR and isinstance(key_node, yaml.ScalarNode):  # the usual key: its text
                key = path_key
                if "$" in key:
                    self.has_dollar = True
            else:
                key = self.value(key_node, key_path, level + 1)
                if not isinstance(key, str):
                    self.str_keys = False
            mapping[key] = self._entry(node, key_node, value_node, key_path, path_key, level)
        return mapping

    def _plain_mapping(self, node: yaml.MappingNode, keys: list[str], key_path: PathKey, level: int) -> Any:
        """A mapping whose keys are all strings, each written once, none a merge (nearly all of them): one pass."""
        mapping: dict[str, Any] = {}
        if self.built is not None:
            self.built[id(node)] = mapping
        if "$" in "".join(keys):
            self.has_dollar = True
        for key, (key_node, value_node) in zip(keys, node.value, strict=True):
            mapping[key] = self._entry(node, key_node, value_node, key_path, key, level)
        return mapping

    def _entry(self, node: yaml.MappingNode, key_node: yaml.Node, value_node: yaml.Node, key_path: PathKey,
               key: Any, level: int) -> Any:
        """The value of ``key`` in the mapping ``node`` (at ``key_path``, ``level`` deep): a string as written
        (the usual value), else built."""
        if value_node.tag == _STR and type(value_node) is yaml.ScalarNode:
            text = value_node.value
            if "$" in text:
                self.has_dollar = True
            return text
        try:
            return self.value(value_node, (*key_path, key), level + 1)
        except TypeError:  # an unhashable key (a list or a mapping used as a key)
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark, "found unhashable key", key_node.start_mark
            ) from None

    def _merge(self, value_node: yaml.Node, mapping: dict[Any, Any], key_path: PathKey, level: int) -> bool:
        """Merge ``<<``'s mapping, or list of mappings (the first listed wins), into ``mapping``; False
        (nothing merged) when it is neither."""
        if isinstance(value_node, yaml.MappingNode) and value_node.tag == _MAP:
            sources = [value_node]
        elif isinstance(value_node, yaml.SequenceNode) and all(
            isinstance(n, yaml.MappingNode) and n.tag == _MAP for n in value_node.value
        ):
            sources = list(reversed(value_node.value))
        else:
            return False
        for source in sources:
            merged = self.value(source, key_path, level)
            if isinstance(merged, dict):
                mapping.update(merged)
        return True

    def _standard(self, node: yaml.Node) -> Any:
        """A node of another tag, built (or refused) by the standard constructor."""
        self.str_keys = False  # whatever it holds is not checked here
        if self._fallback is None:
            self._fallback = _Constructor()
        value = self._fallback.construct_object(node, deep=True)
        if self.built is not None:
            self.built[id(node)] = value
        return value


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
        may_alias = "&" in text  # an alias needs an anchor: without one, each node is reached once
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
    """One composed document checked (aliases, depth, duplicate keys) and built; None if empty or refused."""
    if node is None:
        return None
    found: list[Diagnostic] = []
    builder = _Builder(path, found, aliases=may_alias)
    try:
        if may_alias:
            _check_shape(node)
        data = builder.value(node, (), 1)
    except _Refused as refused:
        problems.append(Diagnostic(f"invalid YAML: {refused.message}", _mark(path, refused.mark), "", refused.hint))
        return None
    except yaml.YAMLError as exc:
        problems.append(_yaml_error(path, exc, text))
        return None
    problems.extend(found)
    if data is None:
        return None
    return Document(data=data, path=path, index=index, start=_mark(path, node.start_mark), node=node,
                    has_dollar=builder.has_dollar, str_keys=builder.str_keys)


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
