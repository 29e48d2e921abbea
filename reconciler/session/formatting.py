"""The ``fmt`` use case: manifests rewritten whole into the canonical layout, one file at a time.

Effectful (reads the manifest files, writes the changed ones), no printing: :func:`format_files` yields one
:class:`FileFormatted` per file as it goes, for the command to say what happened while it happens. Files are
found as every command finds them (``-f`` files or folders; in a folder only files with an
``apiVersion: comfyops/...`` document), formatted by :func:`reconciler.manifest.fmt.format_text`, and a
changed one is written whole (temporary file and rename, never through a link, its mode kept:
:func:`reconciler.workspace.write_text` with ``user_file``) unless ``write`` is off (``--check``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum

from reconciler import workspace
from reconciler.diagnostics import Diagnostic
from reconciler.manifest import files, source
from reconciler.render import safe


class Result(Enum):
    """What happened to one file."""

    UNCHANGED = "unchanged"
    CHANGED = "changed"
    """Not in the canonical layout; written unless ``write`` was off."""
    UNREADABLE = "unreadable"
    REFUSED = "refused"
    """The formatter would not rewrite it (``reason`` says why)."""
    NOT_WRITTEN = "not written"
    """Formatted, but the write failed (``reason``; ``through_link`` when a link is at the path)."""


@dataclass(frozen=True)
class FileFormatted:
    """One file's outcome, with its name as shown, the text as written and as formatted."""

    shown: str
    result: Result
    before: str = ""
    after: str = ""
    problems: tuple[Diagnostic, ...] = ()
    reason: str = ""
    through_link: bool = False

    @property
    def failed(self) -> bool:
        """Whether this file could not be formatted."""
        return self.result in (Result.UNREADABLE, Result.REFUSED, Result.NOT_WRITTEN)


def collect(paths: Sequence[str]) -> files.Collected:
    """The manifest files ``paths`` name (default ``.``), and the problems finding them."""
    return files.collect_all(paths or (".",))


def format_files(collected: files.Collected, *, write: bool) -> Iterator[FileFormatted]:
    """Format every collected file, writing each changed one when ``write``; one outcome per manifest file
    (a file found in a folder that holds no manifest is passed over)."""
    from reconciler.manifest.fmt import FormatRefused, format_text, is_manifest

    for file in collected.files:
        shown = safe.terminal(files.display_path(file))
        text, problems = source.read_text(file, shown)
        if text is None:
            yield FileFormatted(shown, Result.UNREADABLE, problems=tuple(problems))
            continue
        if file not in collected.explicit and not is_manifest(text):
            continue
        try:
            formatted = format_text(text, shown)
        except FormatRefused as refused:
            yield FileFormatted(shown, Result.REFUSED, before=text, reason=str(refused))
            continue
        if formatted == text:
            yield FileFormatted(shown, Result.UNCHANGED, before=text, after=formatted)
            continue
        if write:
            try:
                workspace.write_text(file, formatted, user_file=True)
            except workspace.UnsafePath as exc:
                yield FileFormatted(shown, Result.NOT_WRITTEN, text, formatted, reason=str(exc), through_link=True)
                continue
            except OSError as exc:
                yield FileFormatted(shown, Result.NOT_WRITTEN, text, formatted, reason=str(exc.strerror or exc))
                continue
        yield FileFormatted(shown, Result.CHANGED, before=text, after=formatted)
