"""The status table as text (aligned columns, colour optional) or JSON.

Pure: a ``StatusReport`` in, a string out. JSON (``StatusReport.to_json``) is for scripts; the
text table's layout may change.
"""

from __future__ import annotations

from reconciler.engine.live import is_error_status
from reconciler.engine.status import StatusReport, StatusRow, SyncState
from reconciler.render import safe, style

FORMATS: tuple[str, ...] = ("text", "json")
COLUMNS: tuple[str, ...] = ("NAME", "ID", "HARDWARE", "MIN/MAX", "ENABLED", "STATUS", "MANIFEST", "COST/MONTH", "SYNC")
_SYNC_COLOR = {
    SyncState.SYNCED: "green",
    SyncState.OUT_OF_SYNC: "yellow",
    SyncState.UNMANAGED: "bold",
    SyncState.MISSING: "red",
    SyncState.PENDING_DELETE: "red",
}
SHORT_ID = 8


def render_status(report: StatusReport, fmt: str, *, color: bool = False) -> str:
    """``report`` as ``text`` or ``json``; ``color`` affects text only."""
    if fmt == "text":
        return render_status_text(report, color=color)
    if fmt == "json":
        return report.to_json()
    raise ValueError(f"unknown output format {fmt!r}; expected one of: {', '.join(FORMATS)}")


def _cells(row: StatusRow) -> list[str]:
    enabled = "-" if row.is_enabled is None else ("yes" if row.is_enabled else "no")
    sizes = f"{_num(row.min_instances)}/{_num(row.max_instances)}"
    sync = row.sync.value + (f" ({', '.join(row.drifted_fields)})" if row.drifted_fields else "")
    cells = [
        row.name,
        row.id[:SHORT_ID] if row.id else "-",
        row.hardware or "-",
        sizes,
        enabled,
        row.status or "-",
        row.source or "-",
        _money(row.monthly_cost),
        sync,
    ]
    return [safe.terminal(cell) for cell in cells]


def _num(value: int | None) -> str:
    return "-" if value is None else str(value)


def _money(amount: float) -> str:
    return f"${amount:,.2f}"


def render_status_text(report: StatusReport, *, color: bool = False) -> str:
    """The environment, the table, one row per deployment, then the totals line."""
    environment = f"Environment: {safe.terminal(report.environment)}"
    head = [style.paint(environment, "bold", color=color), ""] if report.environment else []
    if not report.rows:
        return "\n".join([*head, "No deployments: none is live and no manifest declares one."]) + "\n"
    table = [list(COLUMNS), *(_cells(r) for r in report.rows)]
    widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
    lines = list(head)
    for index, cells in enumerate(table):
        padded = [c.ljust(w) for c, w in zip(cells[:-1], widths, strict=False)] + [cells[-1]]
        if index == 0:
            padded = [style.paint(c, "bold", color=color) for c in padded]
        else:
            state = report.rows[index - 1].sync
            padded[-1] = style.paint(padded[-1], _SYNC_COLOR[state], color=color)
            if is_error_status(report.rows[index - 1].status):
                padded[5] = style.paint(padded[5], "red", color=color)
        lines.append("  ".join(padded))
    lines += ["", totals_sentence(report)]
    return "\n".join(lines) + "\n"


def totals_sentence(report: StatusReport) -> str:
    """``5 deployments: 2 Synced, 1 OutOfSync, ... Monthly warm cost: $1,825.00.``"""
    counts = report.counts()
    total = len(report.rows)
    states = ", ".join(f"{n} {state}" for state, n in counts.items())
    return f"{total} deployment{'s' if total != 1 else ''}: {states}. Monthly warm cost: {_money(report.monthly_cost)}."


def text_block(title: str, text: str) -> str:
    """A plain-text report (e.g. the status table) under a heading, in a fence it cannot close."""
    return f"### {safe.md_text(title)}\n\n{safe.md_block(text.rstrip().splitlines())}\n"
