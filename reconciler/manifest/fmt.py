"""``comfyops fmt``'s core: one canonical layout for a manifest file, comments kept, meaning never changed.

Pure: text in, text out. The file is read with ruamel.yaml's round-trip loader, which keeps comments,
anchors, flow style and the authored quotes; then, in every ``apiVersion: comfyops/...`` document:

- keys are put in the canonical order, the order the models declare them, which is the order
  ``comfyops import`` writes (``apiVersion, kind, metadata, spec``; ``name, id, ...``; ``workflow_id,
  workflow_version, workflow_file, hardware, ...``); keys a model does not know keep their place after
  the known ones, and a mapping with a merge key (``<<: *base``) keeps its order;
- single-quoted strings become double-quoted (plain and double-quoted ones stay as written);
- indentation is two spaces, list items indented under their key (``  patches:\\n    - match: ...``);
- empty documents (a trailing ``---``) are dropped.

:func:`format_text` then parses the old and the new text with the manifest loader and refuses
(:class:`FormatRefused`) when the documents' values differ, so formatting can never change what a
manifest means. A comment between two keys that move stays with the key above it.
"""

from __future__ import annotations

import io
import types
import typing
from collections.abc import Mapping
from typing import Any, get_args, get_origin

from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from reconciler.manifest.model import API_VERSION, DOCUMENT_MODELS, DeploymentSpec, EnvironmentPatch
from reconciler.manifest.source import parse_documents

_GROUP = API_VERSION.split("/", 1)[0] + "/"
_FIELD_MODELS: Mapping[tuple[type[BaseModel], str], Any] = {(EnvironmentPatch, "spec"): DeploymentSpec}
"""Fields typed as free mappings whose keys still have a canonical order (a patch is a partial spec)."""


class FormatRefused(Exception):
    """The file cannot be formatted safely (invalid YAML, or the layout would change its meaning)."""


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never fold a long value onto a second line
    return yaml


def format_text(text: str, path: str = "<text>") -> str:
    """``text`` (one manifest file) in the canonical layout; :class:`FormatRefused` when that is not safe."""
    yaml = _yaml()
    try:
        documents = [d for d in yaml.load_all(text) if d is not None]
    except YAMLError as exc:
        raise FormatRefused(f"{path}: invalid YAML ({str(exc).splitlines()[0]}); run comfyops validate") from exc
    for document in documents:
        if isinstance(document, CommentedMap) and str(document.get("apiVersion", "")).startswith(_GROUP):
            model = DOCUMENT_MODELS.get(str(document.get("kind")))
            if model is not None:
                _order(document, model)
        _double_quote(document)
    out = io.StringIO()
    if documents:
        yaml.dump_all(documents, out)
    formatted = out.getvalue()
    if len(documents) == 1 and formatted.startswith("---\n") and not text.lstrip().startswith("---"):
        formatted = formatted[4:]
    _same_meaning(text, formatted, path)
    return formatted


def _same_meaning(before: str, after: str, path: str) -> None:
    """Refuse unless the manifest loader reads the same values from ``before`` and ``after``."""
    old, old_problems = parse_documents(before, path)
    new, new_problems = parse_documents(after, path)
    if old_problems:
        raise FormatRefused(f"{old_problems[0].format()}; fix it first (comfyops validate)")
    if new_problems or [d.data for d in old] != [d.data for d in new]:
        raise FormatRefused(f"{path}: formatting would change what the file means; left as it is")


def _order(node: Any, annotation: Any) -> None:
    """Put ``node``'s keys (and its children's) in the order ``annotation`` (a model or container type) gives."""
    annotation = _unwrapped(annotation)
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for arm in get_args(annotation):
            if arm is not type(None):
                _order(node, arm)
        return
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if isinstance(node, CommentedMap):
            _order_model(node, annotation)
        return
    args = get_args(annotation)
    if origin in (dict, Mapping) and isinstance(node, CommentedMap) and len(args) == 2:
        for value in node.values():
            _order(value, args[1])
    elif origin is list and isinstance(node, CommentedSeq) and args:
        for item in node:
            _order(item, args[0])


def _order_model(node: CommentedMap, model: type[BaseModel]) -> None:
    names = {(info.alias or name): name for name, info in model.model_fields.items()}
    if not getattr(node, "merge", None):
        known = [key for key in names if key in node]
        rest = [key for key in node if key not in names]
        for key in [*known, *rest]:
            node.move_to_end(key)
    for key, name in names.items():
        if key in node:
            annotation = _FIELD_MODELS.get((model, name), model.model_fields[name].annotation)
            _order(node[key], annotation)


def _unwrapped(annotation: Any) -> Any:
    """``Annotated[X, ...]`` as ``X``."""
    while get_origin(annotation) is typing.Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _double_quote(node: Any) -> None:
    """Single-quoted strings in ``node`` (keys and values) become double-quoted; the value is unchanged."""
    if isinstance(node, CommentedMap):
        for key in list(node):
            value = node[key]
            if isinstance(value, SingleQuotedScalarString):
                node[key] = DoubleQuotedScalarString(str(value))
            else:
                _double_quote(value)
    elif isinstance(node, CommentedSeq):
        for index, value in enumerate(node):
            if isinstance(value, SingleQuotedScalarString):
                node[index] = DoubleQuotedScalarString(str(value))
            else:
                _double_quote(value)


def is_manifest(text: str) -> bool:
    """Whether a walked file holds a comfyops document, by the rule every command uses (``fmt`` leaves other
    YAML files alone; a file that does not parse is formatted only if it is ours, and then refused)."""
    from reconciler.manifest import ownership

    documents, problems = parse_documents(text, "<walked>")
    return ownership.is_ours((d.data for d in documents), parse_failed=bool(problems), text=text)
