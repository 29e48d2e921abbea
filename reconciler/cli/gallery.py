"""``--html FILE`` (``smoke``, ``apply --smoke``): the option, and writing the page with a word on stderr.

Effectful shell around :mod:`reconciler.session.gallery` (which reads the pictures and writes the page):
says where the page went, or why it could not be written (a warning: the tests' verdict stands), and gives
the job summary its note on where the pictures are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler.cli import output
from reconciler.render import safe
from reconciler.session.gallery import write_gallery
from reconciler.smoke.report import SmokeReport

NOTE = (
    "The pictures (received, golden, difference) are in the HTML report {name}: a job summary cannot show them, "
    "because GitHub removes data: images from Markdown and does not serve files inside artifacts as images."
)

F = TypeVar("F", bound=Callable[..., Any])


def html_option(func: F) -> F:
    """Add ``--html FILE`` to a command that runs smoke tests."""
    return click.option(
        "--html", "html_file", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
        help="Also write the smoke report as one self-contained HTML page: each deployment's pictures beside "
        "its golden and the difference (open it offline, e.g. from a CI artifact).",
    )(func)


def write_or_warn(path: Path | None, reports: Sequence[SmokeReport], *, title: str = "") -> str:
    """:func:`write_gallery` for ``--html`` (the running command's secrets masked), saying where it went on
    stderr; the job-summary note ("" if none)."""
    if path is None:
        return ""
    out = output.current()
    try:
        write_gallery(path, reports, out.masker.secrets, title=title)
    except OSError as exc:
        out.note(f"warning: cannot write the HTML report {safe.terminal(path)}: {safe.terminal(exc.strerror or exc)}")
        return ""
    out.note(f"Wrote the HTML report to {safe.terminal(path)}")
    return NOTE.format(name=safe.md_code(path.name))
