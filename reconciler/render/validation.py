"""The ``validate`` report as Markdown, for the job summary.

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

