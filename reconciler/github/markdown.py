"""Small Markdown reports that only the GitHub integration shows: the validation result for a job summary.

Pure: values in, a string out.
"""

from __future__ import annotations

import html

from reconciler.diagnostics import Diagnostic

_LIST_LIMIT = 200


def validation_markdown(verdict: str, problems: list[Diagnostic]) -> str:
    """The ``validate`` result: a verdict line, then every problem as ``file:line:col: message``."""
    errors = [p for p in problems if p.is_error]
    icon = "❌" if errors else "✅"
    lines = ["### ComfyOps validate", "", f"{icon} **{html.escape(verdict, quote=False)}**"]
    if problems:
        lines += ["", "```text", *(p.format().replace("```", "'''") for p in problems[:_LIST_LIMIT]), "```"]
        if len(problems) > _LIST_LIMIT:
            lines.append(f"…and {len(problems) - _LIST_LIMIT:,} more (see the job log)")
    return "\n".join(lines) + "\n"
