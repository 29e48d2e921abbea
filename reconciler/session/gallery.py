"""Writing the smoke gallery: the pictures a report names read, made small, rendered, masked and written.

Effectful (reads picture files, writes the page); no click, no printing (``cli/gallery.py`` says what
happened). Pictures (received files and difference sheets under ``.comfyops/outputs/<request id>/``,
goldens from the repository) are read never through a symbolic link and never more than
:data:`MAX_PICTURE_BYTES` of one; thumbnails come from ``smoke/thumbnails.py``; the page from
``render/gallery.py`` (pure); the secrets are masked as written and as HTML-escaped; the page is written
with :func:`reconciler.workspace.write_bytes` (a temporary file and a rename: a link at the path is
replaced, never written through). A picture that cannot be read is shown as a note saying why.
"""

from __future__ import annotations

import errno
import functools
import html
import os
import stat
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from reconciler import secrets as masking
from reconciler import workspace
from reconciler.render.gallery import Preview, render_gallery
from reconciler.smoke.report import SmokeReport

MAX_PICTURE_BYTES = 512 * 1024 * 1024
"""A file larger than this is not read (a video of a few minutes is far below it)."""


def read_picture(path: str) -> bytes:
    """The bytes of ``path`` (relative to the working directory); raises OSError for a link or a huge file."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        with os.fdopen(fd, "rb") as handle:
            fd = -1
            info = os.fstat(handle.fileno())
            if not _is_regular(info.st_mode):
                raise OSError(errno.EINVAL, "not a regular file")
            if info.st_size > MAX_PICTURE_BYTES:
                raise OSError(errno.EFBIG, f"larger than {MAX_PICTURE_BYTES // (1024 * 1024)} MiB")
            return handle.read(MAX_PICTURE_BYTES + 1)[:MAX_PICTURE_BYTES]
    finally:
        if fd >= 0:
            os.close(fd)


def _is_regular(mode: int) -> bool:
    return stat.S_ISREG(mode)


def load_previews(reports: Iterable[SmokeReport]) -> dict[str, Preview]:
    """Thumbnails of every picture the reports name, keyed by path (a note instead where one cannot be read)."""
    from reconciler.smoke import thumbnails

    previews: dict[str, Preview] = {}

    def add(path: str | None, make: Callable[[bytes], Preview]) -> None:
        if not path or path in previews:
            return
        try:
            data = read_picture(path)
        except OSError as exc:
            previews[path] = Preview(problem=_why(exc))
            return
        previews[path] = make(data)

    for report in reports:
        for result in report.results:
            for g in result.goldens:
                # the frames compared (or, for a golden just recorded, the frames its strip holds)
                add(g.received, functools.partial(thumbnails.preview, frames=g.frames,
                                                  count=thumbnails.COMPARED_FRAMES))
                add(g.golden, functools.partial(thumbnails.golden_preview, frames=g.frames))
                add(g.diff, thumbnails.difference_preview)
            for f in result.received:
                add(f.path, thumbnails.preview)
    return previews


def _why(exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return "no such file"
    if exc.errno == errno.ELOOP:
        return "a symbolic link: not followed"
    return f"cannot be read: {exc.strerror or exc}"


def write_gallery(path: Path, reports: Sequence[SmokeReport], secrets: Iterable[str], *, title: str = "") -> None:
    """Render ``reports`` with their pictures and write the page to ``path`` (secrets masked; never via a link)."""
    page = render_gallery(reports, load_previews(reports), title=title)
    values = {s for s in secrets if s}
    masked = masking.mask(page, values | {html.escape(s, quote=True) for s in values})
    workspace.write_bytes(path, masked.encode("utf-8"), mode=0o644)  # a report to share: secrets are masked
