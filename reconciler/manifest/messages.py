"""Turning pydantic validation errors into located, human one-liners with a fix where one is obvious.

Pure. Each pydantic error has a ``loc`` (path into the document) and a ``type``; we point it at the
document position of that path, rewrite pydantic's wording for the common cases (unknown key with a
did-you-mean, choice lists, ranges, the name rule) and keep its wording otherwise.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Collection
from typing import Any, Union

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from reconciler.diagnostics import Diagnostic, did_you_mean
from reconciler.manifest.model import NAME_RULE
from reconciler.manifest.scalars import shown
from reconciler.manifest.source import Document, PathKey, dotted
from reconciler.secrets import SENSITIVE, mask_cut

_MIN_CUT_PREFIX = 8


class _Masked:
    """Stands in for a secret value in a message: its repr is ``(sensitive value)``."""

    def __repr__(self) -> str:
        return SENSITIVE

    __str__ = __repr__


def diagnostics_from(
    exc: ValidationError, doc: Document, model: type[BaseModel], *, sensitive_paths: Collection[PathKey] = ()
) -> list[Diagnostic]:
    """One diagnostic per pydantic error, located in ``doc``; values at ``sensitive_paths`` are never quoted."""
    found = []
    for err in exc.errors(include_url=False):
        loc: PathKey = tuple(p for p in err["loc"] if not _is_union_tag(p))
        masked = any(loc[: len(p)] == tuple(p) for p in sensitive_paths)
        diagnostic = _one(err, doc, model, masked=masked)
        value = err.get("input")
        if masked and isinstance(value, str) and value:
            diagnostic = without_secrets(diagnostic, [value])
        found.append(diagnostic)
    return found


def without_secrets(diagnostic: Diagnostic, secrets: Collection[str]) -> Diagnostic:
    """``diagnostic`` with every secret value in its text replaced by ``(sensitive value)``."""
    if not any(secrets):
        return diagnostic

    def clean(text: str) -> str:  # messages cut long values short: mask a secret's cut-off start too
        return mask_cut(text, secrets, min_prefix=_MIN_CUT_PREFIX)

    texts = (diagnostic.message, diagnostic.hint, *diagnostic.extra)
    if all(clean(text) == text for text in texts):
        return diagnostic
    return dataclasses.replace(
        diagnostic,
        message=clean(diagnostic.message),
        hint=clean(diagnostic.hint),
        extra=tuple(clean(e) for e in diagnostic.extra),
    )


def _one(err: ErrorDetails, doc: Document, model: type[BaseModel], *, masked: bool = False) -> Diagnostic:
    loc: PathKey = tuple(p for p in err["loc"] if not _is_union_tag(p))
    kind, value = err["type"], (_Masked() if masked else err.get("input"))
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    hint = ""
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = sorted(_fields_at(model, loc[:-1]))
        hint = did_you_mean(key, allowed) or (f"allowed: {', '.join(allowed)}" if allowed else "")
        return Diagnostic(f"unknown field {shown(key)}", doc.locate_key(loc), dotted(loc), hint)
    if kind == "strict_scalar":  # manifest.scalars: its message names what to write
        return Diagnostic(str(err["msg"]), doc.locate(loc), dotted(loc), str(ctx.get("hint", "")))
    if kind == "missing":
        return Diagnostic("required field is missing", doc.locate(loc), dotted(loc))
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        hint = did_you_mean(str(value), choices) if isinstance(value, str) else ""
        message = f"expected one of {', '.join(choices)}; got {shown(value)}"
        return Diagnostic(message, doc.locate(loc), dotted(loc), hint)
    if (kind == "string_pattern_mismatch" and loc and loc[-1] in ("name",)) or _is_name_list(loc):
        return Diagnostic(f"invalid name {shown(value)}: use {NAME_RULE}", doc.locate(loc), dotted(loc))
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        words = {
            "greater_than_equal": "at least",
            "less_than_equal": "at most",
            "greater_than": "greater than",
            "less_than": "less than",
        }
        bound = next(iter(ctx.values()), "?")
        return Diagnostic(f"must be {words[kind]} {bound}; got {shown(value)}", doc.locate(loc), dotted(loc))
    if kind == "value_error":
        message = str(err["msg"]).removeprefix("Value error, ")
        first = message.split(" ", 1)[0]
        container = _value_at(doc.data, loc)
        if isinstance(container, dict) and first in container:
            loc = (*loc, first)
        return Diagnostic(message, doc.locate(loc), dotted(loc))
    message = str(err["msg"])
    if kind == "string_type" and not isinstance(value, dict | list):  # workflow_version: 1.10 is a number
        written = doc.written_at(loc) or shown(value)
        hint = f'quote it if you meant a string: "{written}"'
        return Diagnostic(f"expected a string; got {written}", doc.locate(loc), dotted(loc), hint)
    if kind.endswith("_type") or kind.endswith("_parsing"):
        message = f"{message[0].lower()}{message[1:]}; got {shown(value)}"
    return Diagnostic(message, doc.locate(loc), dotted(loc), hint)


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and (
        part.startswith(("literal[", "function-")) or ("[" in part and part.endswith("]"))
    )


def _is_name_list(loc: PathKey) -> bool:
    return len(loc) >= 2 and isinstance(loc[-1], int) and loc[-2] in ("previous_names", "extends")


def _value_at(data: Any, loc: PathKey) -> Any:
    for part in loc:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def _fields_at(model: type[BaseModel], loc: PathKey) -> set[str]:
    """The field names of the model found by following ``loc`` through ``model``'s annotations."""
    current: Any = model
    for part in loc:
        current = _step(current, part)
        if current is None:
            return set()
    model_cls = _unwrap_model(current)
    return set(model_cls.model_fields) if model_cls is not None else set()


def _step(annotation: Any, part: str | int) -> Any:
    model_cls = _unwrap_model(annotation)
    if model_cls is not None:
        field = model_cls.model_fields.get(str(part))
        return field.annotation if field is not None else None
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin in (Union, types.UnionType) and len(args) == 1:
        return _step(args[0], part)
    if origin is list and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    return None


def _unwrap_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        models = [a for a in typing.get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
        return models[0] if len(models) == 1 else None
    if origin is typing.Annotated:
        return _unwrap_model(typing.get_args(annotation)[0])
    return None
