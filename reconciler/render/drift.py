"""Drift reports as text (people, cron logs), JSON (scripts) and Markdown (the drift issue).

Pure: a ``DriftReport`` in, a string out; the report carries ``checked_at``, so "changed 3 h ago"
needs no clock. JSON is the stable contract (``DriftReport.to_json``, ``format_version``); the
wording of text and Markdown may change, except the summary sentences built by :func:`summary_sentence`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reconciler.engine.drift import DeploymentDrift, DriftKind, DriftReport
from reconciler.render import safe, style
from reconciler.secrets import SENSITIVE

FORMATS: tuple[str, ...] = ("text", "json", "markdown")
IN_SYNC = "No drift. Live deployments match the manifests."
_MARK = {DriftKind.DRIFTED: "~", DriftKind.MISSING: "+", DriftKind.UNMANAGED: "?", DriftKind.ERROR: "!"}
_COLOR = {DriftKind.DRIFTED: "yellow", DriftKind.MISSING: "green", DriftKind.UNMANAGED: "red", DriftKind.ERROR: "red"}
_HEADLINE = {
    DriftKind.DRIFTED: "has drifted",
    DriftKind.MISSING: "is missing",
    DriftKind.UNMANAGED: "is unmanaged, in prune scope",
    DriftKind.ERROR: "is in an error state",
}


def render_drift(report: DriftReport, fmt: str, *, color: bool = False) -> str:
    """``report`` in format ``fmt`` (``text``, ``json`` or ``markdown``); ``color`` affects text only."""
    if fmt == "text":
        return render_drift_text(report, color=color)
    if fmt == "json":
        return report.to_json()
    if fmt == "markdown":
        return render_drift_markdown(report)
    raise ValueError(f"unknown output format {fmt!r}; expected one of: {', '.join(FORMATS)}")


def summary_sentence(report: DriftReport) -> str:
    """``Drift: 1 drifted, 1 missing, 0 unmanaged in prune scope, 0 in an error state; 3 in sync.``
    or :data:`IN_SYNC`."""
    s = report.summary
    if not report.has_drift:
        return IN_SYNC
    return (
        f"Drift: {s.drifted} drifted, {s.missing} missing, {s.unmanaged} unmanaged in prune scope, "
        f"{s.error} in an error state; {s.in_sync} in sync."
    )


def ago(since: str | None, checked_at: str) -> str:
    """How long before ``checked_at`` the ISO time ``since`` was: ``changed 3 h ago`` (``""`` if unknown)."""
    then, now = _parse(since), _parse(checked_at)
    if then is None or now is None:
        return f"changed at {since}" if since else ""
    seconds = int((now - then).total_seconds())
    if seconds < 0:
        return f"changed at {since}"
    if seconds < 60:
        return f"changed {seconds} s ago"
    if seconds < 3600:
        return f"changed {seconds // 60} min ago"
    if seconds < 48 * 3600:
        return f"changed {seconds // 3600} h ago"
    return f"changed {seconds // 86400} days ago"


def _parse(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _value(value: Any, sensitive: bool) -> str:
    return SENSITIVE if sensitive else style.format_value(value)


def _label(d: DeploymentDrift) -> str:
    return f"{d.name} ({d.id})" if d.id else d.name


def _facts(d: DeploymentDrift, checked_at: str) -> list[str]:
    facts = [ago(d.since, checked_at)] if d.since else []
    if d.status_is_error and d.kind is not DriftKind.ERROR:
        facts.append(f"status {d.status!r}")
    return [f for f in facts if f]


def render_drift_text(report: DriftReport, *, color: bool = False) -> str:
    """The environment, one block per deployment (fields as desired -> live), smoke results, then the summary."""
    sections: list[list[str]] = []
    if report.environment is not None:
        sections.append([style.paint(f"Environment: {safe.terminal(report.environment)}", "bold", color=color)])
    for d in report.deployments:
        mark = style.paint(_MARK[d.kind].rjust(3), _COLOR[d.kind], color=color)
        head = f"{mark} {style.paint(safe.terminal(_label(d)), 'bold', color=color)} {_HEADLINE[d.kind]}"
        facts = _facts(d, report.checked_at)
        lines = [head + (f" ({safe.terminal(', '.join(facts))})" if facts else "")]
        where = f"{d.source}: {d.reason}" if d.source else d.reason
        lines.append(f"      # {safe.terminal(where)}")
        for f in d.fields:
            desired, live = _value(f.desired, f.sensitive), _value(f.live, f.sensitive)
            field, desired, live = (safe.terminal(v) for v in (f.field, desired, live))
            lines.append(f"      {field}: desired {desired}, live {live}")
        if d.fix:
            lines.append(f"      fix: {safe.terminal(d.fix)}")
        if d.hint:
            lines.append(f"      {safe.terminal(d.hint)}")
        sections.append(lines)
    if report.smoke is not None:
        sections.append(_smoke_text(report.smoke))
    summary = summary_sentence(report)
    tail = [style.paint(summary, "bold" if report.has_drift else "green", color=color)]
    if not report.has_drift and report.in_sync:
        tail.insert(0, f"{len(report.in_sync)} deployment{'s' if len(report.in_sync) != 1 else ''} checked.")
    sections.append(tail)
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"


def _smoke_text(smoke: dict[str, Any]) -> list[str]:
    lines = ["Smoke tests (reported only; they do not change the exit code):"]
    for result in smoke.get("results", []):
        reason = f": {safe.terminal(result['reason'])}" if result.get("reason") else ""
        lines.append(f"  {safe.terminal(result['status']):<7} {safe.terminal(result['name'])}{reason}")
    counts = smoke.get("summary", {})
    lines.append(
        f"  {counts.get('pass', 0)} passed, {counts.get('fail', 0)} failed, {counts.get('error', 0)} errored, "
        f"{counts.get('skipped', 0)} skipped"
    )
    return lines


def render_drift_markdown(report: DriftReport) -> str:
    """The drift issue's body: summary line, one section per deployment with its fix, smoke results."""
    lines = [f"## ComfyOps drift: {safe.md_text(report.environment)}", ""] if report.environment is not None else []
    lines += [f"**{summary_sentence(report)}**", "", f"Checked at {report.checked_at}."]
    if report.targets:
        lines.append(f"Targets: {', '.join(safe.md_code(t) for t in report.targets)}.")
    for d in report.deployments:
        facts = _facts(d, report.checked_at)
        lines += ["", f"### {_MARK[d.kind]} {safe.md_code(_label(d))} {_HEADLINE[d.kind]}", ""]
        reason = safe.md_text(_capital(d.reason) + (f" ({', '.join(facts)})" if facts else ""))
        lines.append(reason + ".")
        if d.source:
            where = "Prune rule" if d.kind is DriftKind.UNMANAGED else "Declared"
            lines.append(f"{where} in {safe.md_code(d.source)}.")
        if d.fields:
            lines += ["", "| field | desired (git) | live |", "|---|---|---|"]
            for f in d.fields:
                desired, live = _value(f.desired, f.sensitive), _value(f.live, f.sensitive)
                lines.append("| " + " | ".join(safe.md_code(v, cell=True) for v in (f.field, desired, live)) + " |")
        fix = f"Fix: {safe.md_code(d.fix)}" if d.fix else ""
        hint = safe.md_text(d.hint if fix else _capital(d.hint))
        lines += ["", f"{fix}; {hint}." if fix and hint else f"{fix or hint}."]
    if report.smoke is not None:
        lines += ["", "### Smoke tests", "", "Reported only; they do not change the exit code.", "",
                  "| deployment | result | reason |", "|---|---|---|"]
        for result in report.smoke.get("results", []):
            row = (safe.md_code(result["name"], cell=True), safe.md_cell(result["status"]),
                   safe.md_cell(result.get("reason") or ""))
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"



def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
