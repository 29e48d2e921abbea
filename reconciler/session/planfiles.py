"""Saved plan files on disk: ``plan --out FILE`` writes one, ``apply FILE`` and ``show FILE`` read one.

Effectful (one file each way). What a plan file holds, and every check that refuses one, is the pure
:mod:`reconciler.engine.planfile`; this module only moves its text to and from the disk.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.engine.plan import Plan
from reconciler.engine.planfile import parse
from reconciler.errors import ReconcilerError


def save(plan: Plan, path: Path) -> None:
    """Write ``plan`` to ``path`` as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(plan.to_json(), encoding="utf-8")


def load(path: Path) -> Plan:
    """Read a saved plan, refusing files that are not plans or come from another format or major version."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ReconcilerError(f"{path}: no such plan file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ReconcilerError(
            f"{path}: not a comfyops plan file ({exc})", "create one with `comfyops plan --out FILE`"
        ) from exc
    return parse(text, path)
