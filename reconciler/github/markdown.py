"""Small Markdown reports that only the GitHub integration shows: validation results and text tables in a job summary.

Pure: values in, a string out.
"""

from __future__ import annotations

import html
import re

from reconciler.diagnostics import Diagnostic

_LIST_LIMIT = 200


def validation_markdown(valid: list[str], problems: list[Diagnostic], *, failure: str = "") -> str:
    """The ``validate`` result: the valid verdicts, the failure, then every problem as ``file:line:col: message``."""
    marked = [f"✅ **{html.escape(v, quote=False)}**" for v in valid]
    marked += [f"❌ **{html.escape(failure, quote=False)}**"] if failure else []
    lines = ["### ComfyOps validate", "", "  \n".join(marked)]
    if problems:
        lines += ["", "```text", *(p.format().replace("```", "'''") for p in problems[:_LIST_LIMIT]), "```"]
        if len(problems) > _LIST_LIMIT:
            lines.append(f"…and {len(problems) - _LIST_LIMIT:,} more (see the job log)")
    return "\n".join(lines) + "\n"


def text_block(title: str, text: str) -> str:
    """A plain-text report (e.g. the status table) under a heading, in a fence it cannot close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"### {html.escape(title, quote=False)}\n\n{fence}text\n{text.rstrip()}\n{fence}\n"
