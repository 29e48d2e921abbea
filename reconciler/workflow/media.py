"""Media upload inputs (image, video, audio) and the values RunComfy accepts for them.

Pure. RunComfy's overrides let a media input (``LoadImage.image``, ``LoadVideo.file``, ...) take
an ``https://`` URL or a ``data:<mime>;base64,`` URI instead of a file on the machine: the platform
downloads or decodes it before queueing the prompt (docs.runcomfy.com, async-queue-endpoints).
This module decides which inputs are media inputs and checks such values; it never fetches anything.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from reconciler.diagnostics import Severity
from reconciler.workflow.graph import json_kind


class MediaKind(StrEnum):
    """What a media upload input loads; also the MIME major type its data URIs must have."""

    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"


UPLOAD_FLAGS: dict[str, MediaKind] = {
    "image_upload": MediaKind.IMAGE,
    "video_upload": MediaKind.VIDEO,
    "audio_upload": MediaKind.AUDIO,
}
"""object_info COMBO option flags that turn the widget into an upload widget of that kind."""

_KNOWN_MEDIA_INPUTS: dict[tuple[str, str], MediaKind] = {
    ("LoadImage", "image"): MediaKind.IMAGE,
    ("LoadImageMask", "image"): MediaKind.IMAGE,
    ("LoadImageOutput", "image"): MediaKind.IMAGE,
    ("LoadVideo", "file"): MediaKind.VIDEO,
    ("VHS_LoadVideo", "video"): MediaKind.VIDEO,
    ("LoadAudio", "audio"): MediaKind.AUDIO,
    ("VHS_LoadAudioUpload", "audio"): MediaKind.AUDIO,
}
"""Loaders whose upload input is known by name (FORMATS.md edge case 16), used without object_info."""

ANNOTATED_FOLDERS = ("input", "output", "temp")
"""The folders a ComfyUI file name may name with a trailing ``[folder]`` annotation."""

_NAME_KINDS: dict[str, MediaKind] = {
    "image": MediaKind.IMAGE,
    "mask": MediaKind.IMAGE,
    "video": MediaKind.VIDEO,
    "audio": MediaKind.AUDIO,
}


def guess_media_kind(class_type: str, input_name: str) -> MediaKind | None:
    """The media kind of a loader's input judged by names only, or None when it is not one.

    Known loaders first; otherwise a class whose name starts with ``Load`` and mentions the kind
    (``LoadImage //Inspire``, ``LoadImagesFromURL``...) with an input named ``image``/``mask``/
    ``video``/``audio``. Callers with object_info must not use this for inputs declared as sockets.
    """
    known = _KNOWN_MEDIA_INPUTS.get((class_type, input_name))
    if known is not None:
        return known
    kind = _NAME_KINDS.get(input_name)
    if kind is None or not class_type.startswith("Load"):
        return None
    lowered = class_type.lower()
    mentions = ("image", "mask") if kind is MediaKind.IMAGE else (kind.value,)
    return kind if any(word in lowered for word in mentions) else None


@dataclass(frozen=True)
class MediaProblem:
    """Why a value is not usable for a media input, with what to do about it."""

    message: str
    hint: str = ""
    severity: Severity = Severity.ERROR


def check_media_value(
    value: Any, kind: MediaKind, *, known_files: tuple[Any, ...] = (), authoritative: bool = False
) -> MediaProblem | None:
    """Check one override value for a media input of ``kind``; None when it is acceptable.

    Accepted: an ``https://host/...`` URL, or ``data:<kind>/<subtype>[;params];base64,<payload>``
    whose payload is strict, padded, non-empty standard base64. A plain file name listed in
    ``known_files`` (object_info's listing of the machine's input folder) is accepted; any other
    plain name is a warning, because only the machine can tell whether the file exists. An annotated
    name (``"x.png [output]"``) is judged against the folder it names (:func:`split_annotation`);
    ``authoritative`` says ``known_files`` is the deployment's own listing of its input folder.
    """
    if not isinstance(value, str):
        return MediaProblem(
            f"expected an https URL or a data:{kind.value}/...;base64, URI, got a JSON {json_kind(value)}"
        )
    text = value.strip()
    if text != value or not text:
        return MediaProblem("expected an https URL or a data URI, got an empty or space-padded string")
    lowered = text.lower()
    if lowered.startswith("data:"):
        return _check_data_uri(text, kind)
    if "://" in text:
        return _check_url(text)
    if text in known_files:
        return None
    name, folder = split_annotation(text)
    if folder is not None:
        return _annotated(name, folder, kind, known_files, authoritative=authoritative)
    return MediaProblem(
        f"{_quote(text)} is a file name; it works only if the machine's ComfyUI input folder has it",
        hint=f"give an https URL or a data:{kind.value}/...;base64, URI to upload it with the request",
        severity=Severity.WARNING,
    )


def split_annotation(name: str) -> tuple[str, str | None]:
    """``("x.png", "output")`` for ComfyUI's annotated name ``"x.png [output]"``; ``(name, None)`` otherwise.

    ComfyUI's ``folder_paths.annotated_filepath`` reads a trailing ``[input]``, ``[output]`` or
    ``[temp]`` as the folder to load from, instead of the input folder, and strips it with the space before it.
    """
    for folder in ANNOTATED_FOLDERS:
        suffix = f"[{folder}]"
        if name.endswith(suffix):
            return name[: -len(suffix) - 1], folder
    return name, None


def _annotated(
    name: str, folder: str, kind: MediaKind, known_files: tuple[Any, ...], *, authoritative: bool
) -> MediaProblem | None:
    upload = f"give an https URL or a data:{kind.value}/...;base64, URI to upload it with the request"
    where = f"{_quote(name)} in ComfyUI's {folder} folder"
    if folder != "input":
        return MediaProblem(
            f"{_quote(name + f' [{folder}]')} names {where}, which object_info does not list; ComfyUI "
            f"refuses the prompt unless the machine's {folder} folder has that file",
            hint=upload,
            severity=Severity.WARNING,
        )
    if name in known_files:
        return None
    if authoritative:
        return MediaProblem(
            f"{_quote(name + ' [input]')} names {where}, and the deployment's input folder does not have it; "
            "ComfyUI refuses the prompt",
            hint=upload,
        )
    return MediaProblem(
        f"{_quote(name + ' [input]')} names {where}, which this hand-placed object_info does not list; "
        "a warning, as input folders differ per machine",
        hint=upload,
        severity=Severity.WARNING,
    )


def _check_url(text: str) -> MediaProblem | None:
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError as exc:
        return MediaProblem(f"{_quote(text)} is not a valid URL ({exc})")
    scheme = parts.scheme.lower()
    if scheme == "http":
        return MediaProblem(
            f"{_quote(text)} is a plain http URL",
            hint="use https; RunComfy downloads media inputs over https only",
        )
    if scheme != "https":
        return MediaProblem(
            f"{_quote(text)} uses the {scheme}:// scheme", hint="use an https URL or a base64 data URI"
        )
    if not host or any(ch.isspace() for ch in text):
        return MediaProblem(f"{_quote(text)} is not a valid https URL (no host, or spaces in it)")
    return None


def _check_data_uri(text: str, kind: MediaKind) -> MediaProblem | None:
    header, comma, payload = text[5:].partition(",")
    if not comma:
        return MediaProblem(f"data URI {_quote(text)} has no ',' before its payload")
    params = [p.strip() for p in header.split(";")]
    mime = params[0].lower()
    major, slash, subtype = mime.partition("/")
    if not slash or not subtype or major != kind.value:
        return MediaProblem(
            f"data URI has MIME type {mime or '(none)'!r}, expected {kind.value}/...",
            hint=f"write data:{kind.value}/<type>;base64,<payload>",
        )
    if params[-1].lower() != "base64":
        return MediaProblem("data URI is not base64-encoded", hint=f"write data:{mime};base64,<payload>")
    if not payload:
        return MediaProblem("data URI has an empty payload")
    try:
        base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        return MediaProblem(
            f"data URI payload is not valid base64 ({exc})",
            hint="encode the file with standard base64 (A-Z a-z 0-9 + /, '=' padding, no line breaks)",
        )
    return None


def _quote(text: str, limit: int = 60) -> str:
    """``text`` as a JSON string for messages, cut to ``limit`` characters (data URIs are long)."""
    short = text if len(text) <= limit else text[: limit - 1] + "…"
    return json.dumps(short, ensure_ascii=False)
