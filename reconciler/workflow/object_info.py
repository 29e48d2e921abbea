"""ComfyUI ``/object_info`` node schemas, normalised into one typed shape per input.

Pure, except :func:`load_object_info_file`, which reads one file. ``/object_info`` maps each node
class to ``{"input": {"required": {...}, "optional": {...}, "hidden": {...}}, "output": [...],
"output_node": bool, ...}``. Input specs come in many dialects (FORMATS.md section 3): legacy
COMBO ``[["a", "b"], {...}]``, V3 ``["COMBO", {"options": [...]}]``, remote COMBOs without options,
socket types (``MODEL``), ``"*"``, comma-joined multi-types, V3 dynamic inputs, and malformed
custom-node specs (a bare string, a non-dict options slot, extra elements). All of them normalise
to :class:`InputSpec`; nothing here raises on a strange spec. Hidden inputs are recorded by name
only (the server injects them).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from reconciler import readfile
from reconciler.diagnostics import Diagnostic, Location, Severity
from reconciler.errors import DiagnosticsError
from reconciler.workflow.media import UPLOAD_FLAGS, MediaKind, guess_media_kind
from reconciler.workflow.provenance import ObjectInfoSource, read_source_record


class InputKind(StrEnum):
    """How an input takes a value: a widget primitive, a COMBO, or only a connection."""

    INT = "INT"
    FLOAT = "FLOAT"
    BOOLEAN = "BOOLEAN"
    STRING = "STRING"
    COMBO = "COMBO"
    ANY = "*"
    """``"*"``: accepts any value or link."""
    MULTI = "MULTI"
    """Comma-joined types (``"INT,FLOAT,IMAGE"``): a value fits if it fits any primitive among them."""
    SOCKET = "SOCKET"
    """A connection type such as ``MODEL`` or ``IMAGE``, or a widget marked ``forceInput``."""
    DYNAMIC = "DYNAMIC"
    """V3 ``COMFY_AUTOGROW_V3``/``COMFY_DYNAMICCOMBO_V3``/``COMFY_MATCHTYPE_V3``: checked loosely."""
    CUSTOM = "CUSTOM"
    """A ``socketless`` custom widget (``IMAGECOMPARE``...): no schema for its value."""


PRIMITIVES: frozenset[str] = frozenset({"INT", "FLOAT", "BOOLEAN", "STRING", "COMBO"})
_INT_LIMIT = 2**63
_MODEL_NAME_RE = re.compile(
    r"^(ckpt|lora|vae|unet|clip|clip_vision|control_net|controlnet|style_model|hypernetwork|gligen"
    r"|upscale_model|photomaker_model|ipadapter|embedding|diffusion_model|config|model_file)_name\d*$"
)
_FILE_EXTENSIONS = frozenset(
    {"safetensors", "ckpt", "pt", "pth", "bin", "onnx", "gguf", "sft", "yaml", "yml", "pkl", "engine"}
    | {"png", "jpg", "jpeg", "webp", "gif", "bmp", "tiff", "mp4", "webm", "mov", "mkv", "avi"}
    | {"wav", "mp3", "flac", "ogg", "m4a", "glb", "gltf", "obj", "fbx", "npz", "pb", "tflite"}
)


@dataclass(frozen=True)
class InputSpec:
    """One declared input of a node class, normalised from any spec dialect."""

    name: str
    type: str
    """The declared type as written (``"INT"``, ``"COMBO"`` for both COMBO forms, ``"MODEL"``...)."""
    kind: InputKind
    required: bool = True
    options: tuple[Any, ...] | None = None
    """COMBO choices, deduplicated, in order; None when unknown (remote COMBOs): skip the check."""
    min: int | float | None = None
    max: int | float | None = None
    step: int | float | None = None
    multiline: bool = False
    multiselect: bool = False
    media: MediaKind | None = None
    """Set for upload widgets (``image_upload``... or a known loader input): takes URLs/data URIs."""
    file_list: bool = False
    """A COMBO listing files on the machine (models, uploads): see :mod:`.file_lists` for its rules."""
    default: Any = None
    """The ``default`` object_info gives (None when it gives none); shown when the input is missing."""

    @property
    def types(self) -> tuple[str, ...]:
        """The comma-separated member types (``("INT", "FLOAT", "IMAGE")``); one item otherwise."""
        return tuple(part.strip() for part in self.type.split(",") if part.strip())


@dataclass(frozen=True)
class NodeClass:
    """One node class: its inputs by name (required first), hidden input names and outputs."""

    name: str
    inputs: Mapping[str, InputSpec]
    hidden: frozenset[str] = frozenset()
    output: tuple[str, ...] = ()
    output_node: bool = False
    deprecated: bool = False


@dataclass(frozen=True)
class ObjectInfo:
    """A parsed ``/object_info``: node classes by name, and entries that could not be read."""

    classes: Mapping[str, NodeClass]
    skipped: tuple[str, ...] = ()
    source: str = field(default="", compare=False)
    provenance: ObjectInfoSource | None = field(default=None, compare=False)
    """Where it came from; None for a hand-placed file with no provenance record."""

    @property
    def from_deployment(self) -> bool:
        """Whether its file lists are authoritative: it came from the deployment itself."""
        return self.provenance is not None and self.provenance.from_deployment

    def get(self, class_type: str) -> NodeClass | None:
        """The node class named ``class_type``, or None when this machine does not have it."""
        return self.classes.get(class_type)

    def __contains__(self, class_type: object) -> bool:
        return class_type in self.classes


class ObjectInfoFormatError(DiagnosticsError):
    """A document that is not an ``/object_info`` response at all."""


def parse_object_info(data: Any, *, source: str = "object_info") -> ObjectInfo:
    """Parse an ``/object_info`` (or ``/object_info/{class}``) response; raise if it is not an object.

    Entries that are not objects are skipped and listed in :attr:`ObjectInfo.skipped`.
    """
    if not isinstance(data, dict):
        message = f"{source} is not an /object_info response (expected a JSON object of node classes)"
        raise ObjectInfoFormatError([Diagnostic(message, Location(source))], message)
    classes: dict[str, NodeClass] = {}
    skipped: list[str] = []
    for name, entry in data.items():
        if isinstance(entry, dict):
            classes[str(name)] = parse_node_class(str(name), entry)
        else:
            skipped.append(str(name))
    return ObjectInfo(classes=MappingProxyType(classes), skipped=tuple(skipped), source=source)


def load_object_info_file(path: str | Path) -> tuple[ObjectInfo | None, list[Diagnostic]]:
    """Read and parse an ``object_info.json``: the catalogue (or None) and the problems found.

    Its provenance comes from the record beside it (:func:`~.provenance.source_path`), if any.
    """
    source = str(path)
    try:
        text = readfile.read_text(Path(path), limit=readfile.OBJECT_INFO_LIMIT, encoding="utf-8-sig")
        data = readfile.parse_json(text)
    except json.JSONDecodeError as exc:
        return None, [Diagnostic(f"invalid JSON: {exc.msg}", Location(source, exc.lineno, exc.colno))]
    except readfile.FileProblem as problem:
        message = f"cannot read object_info file: {problem.message}"
        return None, [Diagnostic(message, Location(source), hint=problem.hint)]
    except ValueError as exc:
        return None, [Diagnostic(f"invalid JSON: {exc}", Location(source))]
    try:
        info = parse_object_info(data, source=source)
    except ObjectInfoFormatError as exc:
        return None, list(exc.diagnostics)
    warnings = [
        Diagnostic(
            f"node class {name!r} is not an object; ignored", Location(source), severity=Severity.WARNING
        )
        for name in info.skipped
    ]
    provenance, record_problems = read_source_record(path)
    return replace(info, provenance=provenance), warnings + record_problems


def parse_node_class(name: str, entry: Mapping[str, Any]) -> NodeClass:
    """Normalise one ``/object_info`` entry; tolerant of every malformed shape seen in real dumps."""
    sections = entry.get("input")
    sections = sections if isinstance(sections, dict) else {}
    inputs: dict[str, InputSpec] = {}
    for section, required in (("required", True), ("optional", False)):
        declared = sections.get(section)
        if not isinstance(declared, dict):
            continue
        for input_name, raw in declared.items():
            key = str(input_name)
            inputs.setdefault(key, parse_input_spec(name, key, raw, required=required))
    hidden = sections.get("hidden")
    outputs = entry.get("output")
    outputs = outputs if isinstance(outputs, list) else []
    return NodeClass(
        name=name,
        inputs=MappingProxyType(inputs),
        hidden=frozenset(str(k) for k in hidden) if isinstance(hidden, dict) else frozenset(),
        output=tuple(o if isinstance(o, str) else "COMBO" for o in outputs),
        output_node=entry.get("output_node") is True,
        deprecated=entry.get("deprecated") is True,
    )


def parse_input_spec(class_type: str, name: str, raw: Any, *, required: bool = True) -> InputSpec:
    """Normalise one input spec (``[type]``, ``[type, options]``, legacy COMBO list, bare string...)."""
    spec = raw if isinstance(raw, list) else [raw]
    head = spec[0] if spec else "*"
    opts: dict[str, Any] = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
    options: tuple[Any, ...] | None = None
    if isinstance(head, list):
        type_name, options = "COMBO", _dedupe(head)
    elif isinstance(head, str) and head.strip():
        type_name = head.strip()
        if type_name == "COMBO" and isinstance(opts.get("options"), list):
            options = _dedupe(opts["options"])
    else:
        type_name = "*"
    kind = _kind(type_name, opts)
    media = _media(class_type, name, kind, opts)
    return InputSpec(
        name=name,
        type=type_name,
        kind=kind,
        required=required,
        options=options if kind is InputKind.COMBO else None,
        min=_bound(opts.get("min"), kind, upper=False),
        max=_bound(opts.get("max"), kind, upper=True),
        step=_number(opts.get("step")),
        multiline=opts.get("multiline") is True,
        multiselect=opts.get("multiselect") is True,
        media=media,
        default=opts.get("default"),
        file_list=(
            kind is InputKind.COMBO and media is None and _is_file_list(class_type, name, options, opts)
        ),
    )


def _kind(type_name: str, opts: Mapping[str, Any]) -> InputKind:
    widget = opts.get("widgetType")
    effective = widget if isinstance(widget, str) and widget in PRIMITIVES else type_name
    if opts.get("forceInput") is True:
        return InputKind.SOCKET
    if effective in PRIMITIVES:
        return InputKind(effective)
    if effective == "*":
        return InputKind.ANY
    if effective.startswith("COMFY_") and effective.endswith("_V3"):
        return InputKind.DYNAMIC
    if "," in effective:
        parts = {p.strip() for p in effective.split(",")}
        return InputKind.ANY if "*" in parts else InputKind.MULTI
    return InputKind.CUSTOM if opts.get("socketless") is True else InputKind.SOCKET


def _media(class_type: str, name: str, kind: InputKind, opts: Mapping[str, Any]) -> MediaKind | None:
    for flag, media in UPLOAD_FLAGS.items():
        if opts.get(flag) is True:
            return media
    if kind in (InputKind.COMBO, InputKind.STRING):
        return guess_media_kind(class_type, name)
    return None


def _is_file_list(
    class_type: str, name: str, options: tuple[Any, ...] | None, opts: Mapping[str, Any]
) -> bool:
    if opts.get("file_upload") is True or options == ():
        return True
    if _MODEL_NAME_RE.match(name) or (name == "model_name" and "Loader" in class_type):
        return True
    return any(looks_like_file(option) for option in options or ())


def looks_like_file(option: Any) -> bool:
    """Whether ``option`` is a string ending in a known file extension (``.safetensors``, ``.png``...)."""
    if not isinstance(option, str) or "." not in option:
        return False
    return option.rsplit(".", 1)[1].lower() in _FILE_EXTENSIONS


def _dedupe(values: list[Any]) -> tuple[Any, ...]:
    seen: list[Any] = []
    for value in values:
        if not any(_same_choice(value, old) for old in seen):
            seen.append(value)
    return tuple(seen)


def _same_choice(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _bound(value: Any, kind: InputKind, *, upper: bool) -> int | float | None:
    """A min/max bound; float INT bounds at or beyond 2^63 mean the 64-bit limit (FORMATS #11)."""
    number = _number(value)
    if number is None or kind is not InputKind.INT or not isinstance(number, float):
        return number
    if upper and number >= _INT_LIMIT:
        return 2**64 - 1
    if not upper and number <= -_INT_LIMIT:
        return -_INT_LIMIT
    return number
