"""The ``validate`` report as Markdown, for the job summary.

Pure: values in, a string out.
"""

from __future__ import annotations

import html

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

