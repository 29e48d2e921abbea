"""The request history as a text table for people and a versioned JSON document for scripts.

Pure: entries in, a string out. ``--format json`` is the stable contract (``format_version`` 1:
keys are only ever added); the text table's layout may change between releases.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from reconciler.history.entry import Entry
from reconciler.render import safe

FORMAT_VERSION: Final[int] = 1
_COLUMNS: Final[tuple[str, ...]] = ("SUBMITTED", "DEPLOYMENT", "REQUEST", "STATUS", "OUTCOME", "INSTANCE", "SOURCE")


def _row(e: Entry) -> tuple[str, ...]:
    cells = (e.submitted_at, e.deployment, e.request_id, e.status, e.outcome or "-", e.instance_id or "-", e.source)
    return tuple(safe.terminal(cell) for cell in cells)


def text(entries: Sequence[Entry]) -> str:
    """One line per request, newest first, under a header; aligned columns."""
    rows = [_COLUMNS, *(_row(e) for e in reversed(entries))]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines) + "\n"


def as_json(entries: Sequence[Entry], *, api: str, refreshed: bool, errors: Mapping[str, str]) -> str:
    """``{"format_version": 1, "api", "refreshed", "requests": [...newest first], "errors": [...]}``."""
    document: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "api": api,
        "refreshed": refreshed,
        "requests": [e.to_json() for e in reversed(entries)],
        "errors": [{"request_id": rid, "message": message} for rid, message in errors.items()],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
