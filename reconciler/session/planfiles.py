"""Saved plan files on disk: ``plan --out FILE`` writes one, ``apply FILE`` and ``show FILE`` read one.

Effectful (one file each way). What a plan file holds, and every check that refuses one, is the pure
:mod:`reconciler.engine.planfile`; this module only moves its text to and from the disk.
"""

from __future__ import annotations

from pathlib import Path

from reconciler import readfile, workspace
from reconciler.engine.plan import Plan
from reconciler.engine.planfile import parse
from reconciler.errors import ReconcilerError


def save(plan: Plan, path: Path) -> None:
    """Write ``plan`` to ``path`` as JSON (temp file and rename; a link at ``path`` is refused, never followed)."""
    workspace.write_text(path, plan.to_json())


def load(path: Path) -> Plan:
    """Read a saved plan, refusing files that are not plans or come from another format or major version."""
    try:
        text = readfile.read_text(path, limit=readfile.RECORD_LIMIT)
    except readfile.FileProblem as exc:
        if exc.missing:
            raise ReconcilerError(f"{path}: no such plan file") from None
        raise ReconcilerError(
            f"{path}: not a comfyops plan file ({exc.message})", "create one with `comfyops plan --out FILE`"
        ) from None
    return parse(text, path)
