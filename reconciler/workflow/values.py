"""One input's value checked against its object_info spec, by the rules overrides follow.

Pure. The rules follow FORMATS.md section 6; the ComfyUI backend is laxer in places
(``int("512")``, ``bool("false")``) and those cases are refused here on purpose, because RunComfy
asks for values in the workflow's exact formats. Values of file-list inputs follow
:mod:`.file_lists`; media inputs take URLs and data URIs (:mod:`.media`); a value that is not one of
a COMBO's choices is described by :mod:`.choices`.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from reconciler.diagnostics import Severity, did_you_mean
from reconciler.workflow.choices import listing, position_hint, position_slip
from reconciler.workflow.file_lists import certain_mistake, lists_holding, missing_hint
from reconciler.workflow.graph import show_value as _show
from reconciler.workflow.media import MediaKind, check_media_value, split_annotation
from reconciler.workflow.object_info import PRIMITIVES, InputKind, InputSpec, ObjectInfo

_EXACT_FLOAT_INTS = 2**53


class Problem(NamedTuple):
    """What is wrong with one input's value, the fix, and how serious it is."""

    text: str
    hint: str = ""
    severity: Severity = Severity.ERROR


class Node(NamedTuple):
    """The node an input belongs to, and the catalogue, for rules that look beyond one spec."""

    class_type: str
    object_info: ObjectInfo | None


def media_value(media: MediaKind, spec: InputSpec | None, value: Any, node: Node) -> Problem | None:
    """A media input's value: an https URL, a data URI, or a file the machine's folder has."""
    known = spec.options if spec is not None and spec.options else ()
    own = node.object_info is not None and node.object_info.from_deployment
    listed = spec is not None and spec.options is not None
    found = check_media_value(value, media, known_files=known, authoritative=own and listed)
    annotated = isinstance(value, str) and split_annotation(value)[1] is not None
    if found is not None and found.severity is Severity.WARNING and spec is not None and not annotated:
        certain = _file_choice(spec, value, node)
        if certain is not None:
            return certain
    return Problem(found.message, found.hint, found.severity) if found else None


def check_value(spec: InputSpec, value: Any, class_type: str, object_info: ObjectInfo) -> Problem | None:
    """The problem (if any) with a value (not a link) for the declared input ``spec``, by the override rules.

    A ``{"__value__": ...}`` wrapper is unwrapped first, as ComfyUI does.
    """
    if isinstance(value, dict) and "__value__" in value:
        value = value["__value__"]
    node = Node(class_type, object_info)
    if spec.media is not None:
        return media_value(spec.media, spec, value, node)
    return check_spec_value(spec, value, node)


def check_spec_value(spec: InputSpec, value: Any, node: Node) -> Problem | None:
    """The problem (if any) with ``value`` (already unwrapped) for a declared, non-media input."""
    kind = spec.kind
    if kind in (InputKind.ANY, InputKind.CUSTOM, InputKind.DYNAMIC):
        return None
    if kind is InputKind.SOCKET:
        return Problem(f"takes only a connection of type {spec.type}, not a value")
    if kind is InputKind.MULTI:
        primitives = [t for t in spec.types if t in PRIMITIVES and t != "COMBO"]
        if not primitives:
            return Problem(f"takes only a connection of type {spec.type}, not a value")
        if any(_check_kind(InputKind(t), spec, value, node) is None for t in primitives):
            return None
        return Problem(f"expected a value of type {' or '.join(primitives)}, got {_show(value)}")
    return _check_kind(kind, spec, value, node)


def _check_kind(kind: InputKind, spec: InputSpec, value: Any, node: Node) -> Problem | None:
    if kind is InputKind.INT:
        return _check_int(spec, value)
    if kind is InputKind.FLOAT:
        return _check_float(spec, value)
    if kind is InputKind.BOOLEAN:
        if isinstance(value, bool):
            return None
        hint = "write true or false without quotes; ComfyUI reads any non-empty string as true"
        return Problem(f"expected true or false, got {_show(value)}", hint if isinstance(value, str) else "")
    if kind is InputKind.STRING:
        if isinstance(value, str):
            return None
        return Problem(f"expected a string, got {_show(value)}", "quote it" if is_number(value) else "")
    return _check_combo(spec, value, node)


def _check_int(spec: InputSpec, value: Any) -> Problem | None:
    if not is_number(value):
        hint = "write the number without quotes" if isinstance(value, str) and _numeric(value) else ""
        return Problem(f"expected an integer, got {_show(value)}", hint)
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return Problem(f"expected an integer, got {_show(value)}", "ComfyUI would silently truncate it")
        if abs(value) > _EXACT_FLOAT_INTS:
            return Problem(
                f"{_show(value)} is a float too large to be an exact integer",
                hint="write the integer without a decimal point or exponent",
            )
        value = int(value)
    return _check_bounds(spec, value)


def _check_float(spec: InputSpec, value: Any) -> Problem | None:
    if not is_number(value):
        hint = "write the number without quotes" if isinstance(value, str) and _numeric(value) else ""
        return Problem(f"expected a number, got {_show(value)}", hint)
    if isinstance(value, float) and not math.isfinite(value):
        return Problem(f"expected a finite number, got {_show(value)}")
    return _check_bounds(spec, value)


def _check_bounds(spec: InputSpec, value: int | float) -> Problem | None:
    if spec.min is not None and value < spec.min:
        return Problem(f"{_show(value)} is below the minimum {_show(spec.min)}")
    if spec.max is not None and value > spec.max:
        return Problem(f"{_show(value)} is above the maximum {_show(spec.max)}")
    return None


def _check_combo(spec: InputSpec, value: Any, node: Node) -> Problem | None:
    if spec.options is None:
        return None
    options = spec.options
    if spec.multiselect and isinstance(value, list):
        missing = [v for v in value if not _in_options(v, options)]
        value = missing[0] if missing else None
        if not missing:
            return None
    elif _in_options(value, options):
        return None
    slip = position_slip(value, options)
    if slip is not None:
        return Problem(slip, position_hint(value, options))
    if spec.file_list:
        certain = _file_choice(spec, value, node)
        if certain is not None:
            return certain
        elsewhere = _elsewhere(spec, value, node)
        return Problem(
            f"{_show(value)} is not in this machine's list; models differ per machine",
            hint=missing_hint(value, [], elsewhere) if elsewhere else (
                "make sure the deployment's machine has that file, or refresh the cached object_info"
            ),
            severity=Severity.WARNING,
        )
    strings = [o for o in options if isinstance(o, str)]
    suggestion = did_you_mean(value, strings) if isinstance(value, str) else ""
    return Problem(f"{_show(value)} is not one of {listing(value, options)}", suggestion)


def _file_choice(spec: InputSpec, value: Any, node: Node) -> Problem | None:
    """The error for a value of a file-list input that is certainly wrong (see :mod:`.file_lists`)."""
    if spec.options is None or node.object_info is None:
        return None
    found = certain_mistake(
        value,
        spec.options,
        authoritative=node.object_info.from_deployment,
        elsewhere=_elsewhere(spec, value, node),
    )
    if found is None:
        return None
    hint = found.hint
    if spec.media is not None and not hint.startswith("did you mean"):
        hint = f"{hint}; or give an https URL or a data:{spec.media.value}/...;base64, URI to upload it"
    return Problem(found.message, hint, found.severity)


def _elsewhere(spec: InputSpec, value: Any, node: Node) -> list[str]:
    if not isinstance(value, str) or node.object_info is None:
        return []
    return lists_holding(node.object_info, value, besides=(node.class_type, spec.name))


def _in_options(value: Any, options: tuple[Any, ...]) -> bool:
    """Membership by JSON type and value: ``6 == 6.0`` but ``"6" != 6`` and ``true != 1``."""
    for option in options:
        if isinstance(option, dict):
            option = option.get("content")
        if isinstance(option, bool) or isinstance(value, bool):
            if isinstance(option, bool) and isinstance(value, bool) and option is value:
                return True
        elif is_number(option) and is_number(value):
            if option == value:
                return True
        elif isinstance(option, str) and isinstance(value, str) and option == value:
            return True
    return False


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
