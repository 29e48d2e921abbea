"""File-list COMBOs (model names, input files): which values not in the list are certain mistakes.

Pure. An input whose options are file names (``ckpt_name``, ``vae_name``, ``lora_name``,
``LoadImage.image``...) lists what one machine has. A value missing from the list is certainly wrong
when it is not a string, when it is a *near miss* of a listed name (see :func:`near_miss`), or when
the list is authoritative (the object_info came from the deployment itself). Otherwise the file may
exist on the deployment's machine only, and the caller keeps its warning.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reconciler.diagnostics import Severity
from reconciler.workflow.choices import SHOWN, nearest
from reconciler.workflow.graph import show_value
from reconciler.workflow.object_info import ObjectInfo, looks_like_file

_MIN_TOKEN = 4
"""A one-character slip counts only inside a run of at least this many letters and digits."""


@dataclass(frozen=True)
class FileListProblem:
    """Why a value for a file-list input is certainly wrong."""

    message: str
    hint: str = ""
    severity: Severity = Severity.ERROR


def certain_mistake(
    value: Any, options: tuple[Any, ...], *, authoritative: bool, elsewhere: Iterable[str] = ()
) -> FileListProblem | None:
    """The error for a file-list value, or None when it is listed or might exist on another machine.

    ``options`` is the list object_info gives; ``authoritative`` says it is the deployment's own.
    ``elsewhere`` names other inputs whose lists hold the value (``VAELoader.vae_name``), for the hint.
    """
    names = [o for o in options if isinstance(o, str)]
    if isinstance(value, str) and value in names:
        return None
    if not isinstance(value, str):
        return FileListProblem(
            f"expected a file name (a string), got {show_value(value)}",
            hint=f"this input lists: {_listing(names, value)}" if names else "quote the file name",
        )
    match = near_miss(value, names)
    if match is not None:
        listed, why = match
        return FileListProblem(f"{show_value(value)} is not in the list ({why})", f"did you mean {listed!r}?")
    if not authoritative:
        return None
    return FileListProblem(
        f"{show_value(value)} is not among the files the deployment's ComfyUI lists for this input",
        hint=missing_hint(value, names, elsewhere),
    )


def missing_hint(value: str, names: list[str], elsewhere: Iterable[str] = ()) -> str:
    """What to say about a name not in the list: where else it is listed, or the closest listed names."""
    other = sorted(elsewhere)
    if other:
        return f"{show_value(value)} is listed for {', '.join(other[:3])}: is it the right kind of file?"
    stems = {_stem(name): name for name in reversed(names)}
    close = difflib.get_close_matches(_stem(value), sorted(stems), n=1, cutoff=0.6)
    if close:
        return f"did you mean {stems[close[0]]!r}?"
    if not names:
        return "the list is empty: that folder has no files on the machine"
    return f"listed: {_listing(names, value)}"


def lists_holding(info: ObjectInfo, value: str, *, besides: tuple[str, str]) -> list[str]:
    """``Class.input`` of every other file-list input whose options include ``value``."""
    found: list[str] = []
    for class_name, node_class in info.classes.items():
        for spec in node_class.inputs.values():
            if (class_name, spec.name) == besides or not spec.options:
                continue
            if (spec.file_list or spec.media is not None) and value in spec.options:
                found.append(f"{class_name}.{spec.name}")
    return found


def near_miss(value: str, names: Iterable[str]) -> tuple[str, str] | None:
    """The listed name ``value`` is a slip of, and what the slip is; None when it is no such slip.

    A slip is: the same name in other letter case; surrounding spaces; ``\\`` for ``/``; the name
    without its extension; or one inserted, deleted, replaced or swapped character, where that
    character is not a digit (``x2``/``x4``, ``v1``/``v2`` are different files) and sits in a run of
    at least four letters or digits in both names (``clip_l``/``clip_g``, ``ae``/``vae`` are
    different files). When ``value`` has no file extension of its own and the listed name has one,
    any one-character slip counts (``model.safetensors2``, ``example.pngg``).
    """
    listed = [n for n in names if n != value]
    folded = value.casefold()
    for name in listed:
        if name.casefold() == folded:
            return name, "names are case-sensitive"
    for name in listed:
        if value.strip() == name:
            return name, "it has spaces around it"
        if value.replace("\\", "/") == name:
            return name, "paths use /, not \\"
    is_file = looks_like_file(value)
    if not is_file:
        for name in listed:
            if looks_like_file(name) and name.rsplit(".", 1)[0].casefold() == folded:
                return name, "the file extension is missing"
    for name in listed:
        # a value with no file extension of its own next to a listed file name is no other file
        if _one_slip(folded, name.casefold(), lenient=not is_file and looks_like_file(name)):
            return name, "it is one typo away from a listed name"
    return None


def _one_slip(a: str, b: str, *, lenient: bool) -> bool:
    """Whether one insertion, deletion, replacement or swap of a plausible-typo character turns a into b."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    tail = 0
    while tail < min(len(a), len(b)) - start and a[len(a) - 1 - tail] == b[len(b) - 1 - tail]:
        tail += 1
    changed_a, changed_b = a[start : len(a) - tail], b[start : len(b) - tail]
    single = len(changed_a) + len(changed_b) == 1 or len(changed_a) == len(changed_b) == 1
    swap = len(changed_a) == len(changed_b) == 2 and changed_a == changed_b[::-1]
    if not (single or swap):
        return False
    changed = changed_a + changed_b
    if lenient:
        return True
    if any(ch.isdigit() for ch in changed):
        return False
    if not any(ch.isalnum() for ch in changed):
        return True  # separators and punctuation: "4x-UltraSharp" for "4x_UltraSharp"
    return all(_token_length(text, start, len(text) - tail) >= _MIN_TOKEN for text in (a, b))


def _token_length(text: str, start: int, end: int) -> int:
    """Length of the run of letters and digits around ``text[start:end]`` (the span itself included)."""
    left, right = start, end
    while left > 0 and text[left - 1].isalnum():
        left -= 1
    while right < len(text) and text[right].isalnum():
        right += 1
    return right - left


def _stem(name: str) -> str:
    """The name without a known file extension, case-folded: what makes two model names alike."""
    return (name.rsplit(".", 1)[0] if looks_like_file(name) else name).casefold()


def _listing(names: list[str], value: Any = None) -> str:
    """The few listed names nearest ``value`` (the closest first), and how many there are."""
    shown = ", ".join(nearest(value, names))
    return shown + (f", ... ({len(names)} files)" if len(names) > SHOWN else "")
