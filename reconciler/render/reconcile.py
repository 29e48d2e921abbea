"""Reconcile passes as text (logs), JSON (scripts), Markdown (the drift issue) and notification messages.

Pure: a ``ReconcileReport`` in, a string out. The drift part is the drift command's own renderer; a pass
adds its header (environment, mode, commit), its notes (pause, apply window, expired ignore rules) and
what heal did. Messages (:func:`message`) are plain text for Apprise: which environment, which deployments,
which fields from what to what (sensitive values masked), and the commit.
"""

from __future__ import annotations

from typing import Any

from reconciler.engine.drift import DriftKind
from reconciler.engine.reconcile import PassResult, ReconcileReport
from reconciler.engine.report import ApplyReport, Outcome
from reconciler.render import safe, style
from reconciler.render.drift import render_drift_markdown, render_drift_text
from reconciler.secrets import SENSITIVE
from reconciler.smoke.report import SmokeReport

FORMATS: tuple[str, ...] = ("text", "json", "markdown")


def render_reconcile(report: ReconcileReport, fmt: str, *, color: bool = False) -> str:
    """``report`` in format ``fmt`` (``text``, ``json`` or ``markdown``)."""
    if fmt == "text":
        return _text(report, color=color)
    if fmt == "json":
        return report.to_json()
    if fmt == "markdown":
        return _markdown(report)
    raise ValueError(f"unknown output format {fmt!r}; expected one of: {', '.join(FORMATS)}")


def headline(report: ReconcileReport) -> str:
    """``reconcile prod (mode heal, commit 1a2b3c4): healed 1, 0 left unhealed``."""
    where = report.environment or "(no environment)"
    facts = [f"mode {report.mode}"] + ([f"commit {report.commit[:12]}"] if report.commit else [])
    return f"reconcile {where} ({', '.join(facts)}): {outcome(report)}"


def outcome(report: ReconcileReport) -> str:
    """What the pass ended with, in words."""
    result = report.result
    if result is PassResult.IN_SYNC:
        return "in sync"
    if result is PassResult.HEALED:
        return f"healed {len(report.healed)} deployment{_s(len(report.healed))}"
    left = len(report.unhealed)
    if result is PassResult.SMOKE_FAILED:
        failed = len(report.smoke_failed)
        return f"healed {len(report.healed)}, but the smoke test failed for {failed} deployment{_s(failed)}"
    if result is PassResult.HEAL_FAILED:
        return f"heal failed for {len(report.failed) or left} deployment{_s(len(report.failed) or left)}"
    healed = f"healed {len(report.healed)}, " if report.healed else ""
    return f"{healed}drift left unhealed in {left} deployment{_s(left)}"


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _text(report: ReconcileReport, *, color: bool) -> str:
    t = safe.terminal
    lines = [style.paint(t(headline(report)), "bold", color=color)]
    lines += [f"  note: {t(n)}" for n in report.notes]
    if report.heal_blocked:
        lines.append(f"  heal did not act: {t(report.heal_blocked)}")
    for heal in report.heals:
        detail = f": {t(heal.message)}" if heal.message else ""
        lines.append(f"  {heal.result:<7} {t(heal.name)} ({heal.action}){detail}")
    lines += [f"  read-back: {t(p)}" for p in report.readback_problems]
    lines += [f"  smoke failed: {t(name)}" for name in report.smoke_failed]
    if report.heals and report.drift.has_drift:
        lines += ["", f"Found at {report.drift.checked_at}, before heal acted:"]
    return "\n".join(lines) + "\n\n" + render_drift_text(report.drift, color=color)


def _markdown(report: ReconcileReport) -> str:
    lines = [f"**{safe.md_text(headline(report))}**", ""]
    lines += [f"- {safe.md_text(n)}" for n in report.notes]
    if report.heal_blocked:
        lines.append(f"- Heal did not act: {safe.md_text(report.heal_blocked)}")
    for heal in report.heals:
        detail = f": {safe.md_text(heal.message)}" if heal.message else ""
        lines.append(f"- {heal.result} {safe.md_code(heal.name)} ({heal.action}){detail}")
    lines += [f"- Smoke test failed: {safe.md_code(name)}" for name in report.smoke_failed]
    if report.heals and report.drift.has_drift:
        lines += ["", f"Found at {report.drift.checked_at}, before heal acted:"]
    return "\n".join(lines).rstrip() + "\n\n" + render_drift_markdown(report.drift)


def message(report: ReconcileReport, event: str) -> tuple[str, str]:
    """(title, body) of the notification for ``event`` about ``report``: plain text, sensitive values masked,
    each untrusted value one line with no control character (:func:`safe.terminal`)."""
    where = report.environment or "default environment"
    title = {
        "drift_detected": f"ComfyOps: drift in {where}",
        "healed": f"ComfyOps: healed drift in {where}",
        "heal_failed": f"ComfyOps: heal failed in {where}",
        "smoke_failed": f"ComfyOps: smoke test failed after heal in {where}",
    }.get(event, f"ComfyOps: {event} in {where}")
    t = safe.terminal
    body = [f"Environment: {t(where)}", f"Commit: {t(report.commit or 'unknown')}", f"Result: {outcome(report)}"]
    if report.heal_blocked:
        body.append(f"Heal did not act: {t(report.heal_blocked)}")
    body += [f"Smoke test failed: {t(name)}" for name in report.smoke_failed]
    body += [f"Note: {t(n)}" for n in report.notes]
    heals = {h.name: h for h in report.heals}
    for d in report.drift.deployments:
        heal = heals.get(d.name)
        state = f" [{heal.result}{': ' + t(heal.message) if heal.message else ''}]" if heal is not None else ""
        body.append(f"- {t(d.name)}: {_what(d.kind)}{state}")
        body += [f"    {f.field}: {t(_value(f.live, f.sensitive))} (live) -> {t(_value(f.desired, f.sensitive))} (git)"
                 for f in d.fields]
    return t(title), "\n".join(body) + "\n"


def _what(kind: DriftKind) -> str:
    return {DriftKind.DRIFTED: "drifted", DriftKind.MISSING: "missing", DriftKind.UNMANAGED: "unmanaged, in prune "
            "scope", DriftKind.ERROR: "in an error state"}[kind]


def _value(value: Any, sensitive: bool) -> str:
    return SENSITIVE if sensitive else style.format_value(value)


def apply_messages(
    report: ApplyReport, smoke: SmokeReport | None, *, environment: str | None, commit: str | None
) -> list[tuple[str, str, str]]:
    """(event, title, body) for what went wrong in an apply: ``apply_failed``, ``smoke_failed``, ``rolled_back``."""
    t = safe.terminal
    where = t(environment or "default environment")
    head = [f"Environment: {where}", f"Commit: {t(commit or 'unknown')}"]
    found: list[tuple[str, str, str]] = []
    failed = [o for o in report.changes if o.outcome is Outcome.FAILED]
    if failed or report.readback_problems:
        lines = [f"- {t(o.name)} ({o.action.value}): {t(o.message)}" for o in failed]
        lines += [f"- read-back: {t(p)}" for p in report.readback_problems]
        found.append(("apply_failed", f"ComfyOps: apply failed in {where}", "\n".join([*head, *lines]) + "\n"))
    if smoke is not None and not smoke.ok:
        lines = [f"- {t(r.name)}: {r.status.value}{': ' + t(r.reason) if r.reason else ''}"
                 for r in smoke.results if r.status.is_problem]
        found.append(("smoke_failed", f"ComfyOps: smoke test failed in {where}", "\n".join([*head, *lines]) + "\n"))
    rolled = [o for o in report.changes if o.rollback]
    if rolled:
        lines = [f"- {t(o.name)}: {t(o.rollback)}" for o in rolled]
        found.append(("rolled_back", f"ComfyOps: rolled back in {where}", "\n".join([*head, *lines]) + "\n"))
    return found
