"""Small Markdown reports that only the GitHub integration shows: validation results and text tables in a job summary.

Pure: values in, a string out. Text from outside is escaped by :mod:`reconciler.render.safe`.
"""

from __future__ import annotations

from reconciler.diagnostics import Diagnostic
from reconciler.render import safe

_LIST_LIMIT = 200


def validation_markdown(valid: list[str], problems: list[Diagnostic], *, failure: str = "") -> str:
    """The ``validate`` result: the valid verdicts, the failure, then every problem as ``file:line:col: message``."""
    marked = [f"✅ **{safe.md_text(v)}**" for v in valid]
    marked += [f"❌ **{safe.md_text(failure)}**"] if failure else []
    lines = ["### ComfyOps validate", "", "  \n".join(marked)]
    if problems:
        lines += ["", safe.md_block(p.format() for p in problems[:_LIST_LIMIT])]
        if len(problems) > _LIST_LIMIT:
            lines.append(f"…and {len(problems) - _LIST_LIMIT:,} more (see the job log)")
    return "\n".join(lines) + "\n"


def text_block(title: str, text: str) -> str:
    """A plain-text report (e.g. the status table) under a heading, in a fence it cannot close."""
    return f"### {safe.md_text(title)}\n\n{safe.md_block(text.rstrip().splitlines())}\n"
