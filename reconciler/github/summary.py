"""Appending Markdown to the job summary (``$GITHUB_STEP_SUMMARY``), within GitHub's 1 MiB per step.

Effectful (appends to one file). GitHub drops a step's whole summary when its file grows past
1 MiB, so a report that would not fit is cut (its head, the summary, kept) with a notice; what was
already in the file is never rewritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Final

from reconciler import workspace
from reconciler.github import fit

STEP_SUMMARY_ENV: Final[str] = "GITHUB_STEP_SUMMARY"
STEP_SUMMARY_LIMIT: Final[int] = 1024 * 1024
"""GitHub's limit for one step's summary file, in bytes."""
NOTICE: Final[str] = (
    "> [!NOTE]\n> This report was cut to fit GitHub's 1 MiB step-summary limit; "
    "the full report is in the job log and the workflow's artifacts."
)


def summary_path(env: Mapping[str, str]) -> Path | None:
    """The step summary file GitHub Actions named, or None outside Actions."""
    value = env.get(STEP_SUMMARY_ENV, "").strip()
    return Path(value) if value else None


def append(path: Path, markdown: str, *, limit: int = STEP_SUMMARY_LIMIT) -> bool:
    """Append ``markdown`` (cut to what is left of ``limit``) to ``path``; False when nothing fit."""
    try:
        used = path.stat().st_size
    except FileNotFoundError:
        used = 0
    separator = "\n" if used else ""
    budget = limit - used - len(separator)
    text = markdown if markdown.endswith("\n") else markdown + "\n"
    text = fit.fit(text, budget, NOTICE, measure=fit.utf8_bytes)
    if budget <= 0 or fit.utf8_bytes(text) > budget or not text.strip():
        return False
    workspace.append_text(path, separator + text, make_folders=False)
    return True
