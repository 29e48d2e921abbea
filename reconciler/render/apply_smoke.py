"""``apply --smoke`` as one report: what apply did, the smoke result, then any rollback, then one sentence.

Pure. The order is the order things happened: changes, smoke tests of what changed, the rollback of
the ones whose test failed (with rollouts through candidates, the candidates' tests come first and a
"Rollout" section says what was switched, held back and deleted). The closing sentence counts all three
(``Apply complete: 1 applied, 0 failed; smoke: 1 failed; rolled back: 1``).
"""

from __future__ import annotations

import dataclasses
import json

from reconciler.engine.report import ApplyReport
from reconciler.render import apply as apply_report
from reconciler.render import safe, style
from reconciler.render import smoke as smoke_render
from reconciler.smoke.report import SmokeReport


def render_apply_smoke(
    report: ApplyReport, smoke: SmokeReport, fmt: str, *, color: bool = False, rollback_asked: bool = False
) -> str:
    """The combined report in ``fmt`` (``text``, ``json`` or ``markdown``)."""
    if fmt == "json":
        data = json.loads(report.to_json())
        data["summary"].update(report.rollback_counts())
        data["smoke"] = smoke.to_dict()
        data["failed"] = bool(data["failed"] or not smoke.ok)
        return json.dumps(data, indent=2, sort_keys=True) + "\n"
    applied = report.before_rollback()
    notes = [(o.name, o.rollback) for o in report.changes if o.rollback]
    closing = sentence(report, smoke, rollback_asked=rollback_asked)
    if fmt == "markdown":
        parts = [apply_report.render_apply_markdown(applied).rstrip("\n"), smoke_render.markdown(smoke).rstrip("\n")]
        if report.rollouts:
            parts.append("\n".join(["### Rollout", "", *(f"- {safe.md_text(note)}" for note in report.rollouts)]))
        if notes:
            rows = (f"- {safe.md_code(name)}: {safe.md_text(note)}" for name, note in notes)
            parts.append("\n".join(["### Rollback", "", *rows]))
        parts.append(f"**{closing}**")
        return "\n\n".join(parts) + "\n"
    environment = report.environment or smoke.environment
    parts = [
        style.paint(f"Environment: {safe.terminal(environment)}", "bold", color=color) if environment else "",
        apply_report.render_apply_text(applied, color=color, sentence=False).rstrip("\n"),
        smoke_render.text(dataclasses.replace(smoke, environment=None)).rstrip("\n"),
    ]
    if report.rollouts:
        parts.append("\n".join(["Rollout:", *(f"  {safe.terminal(note)}" for note in report.rollouts)]))
    if notes:
        rows = (f"  {safe.terminal(name)}: {safe.terminal(note)}" for name, note in notes)
        parts.append("\n".join(["Rollback:", *rows]))
    failed = report.failed or not smoke.ok
    parts.append(style.paint(closing, "red" if failed else "green", color=color))
    return "\n\n".join(p for p in parts if p) + "\n"


def sentence(report: ApplyReport, smoke: SmokeReport, *, rollback_asked: bool = False) -> str:
    """``Apply complete: 1 applied, 0 failed; smoke: 1 failed; rolled back: 1``."""
    counts = report.counts()
    verdict = "Apply failed" if report.failed else "Apply complete"
    head = f"{verdict}: {counts['applied']} applied, {counts['failed']} failed"
    if counts["skipped"]:
        head += f", {counts['skipped']} skipped"
    tested = smoke.counts()
    labels = (("pass", "passed"), ("fail", "failed"), ("error", "errored"), ("skipped", "skipped"))
    smoke_part = ", ".join(f"{tested[key]} {label}" for key, label in labels if tested[key]) or "nothing to test"
    if smoke.interrupted:
        smoke_part += " (interrupted)"
    line = f"{head}; smoke: {smoke_part}"
    undone = report.rollback_counts()
    if rollback_asked or undone["rolled_back"]:
        line += f"; rolled back: {undone['rolled_back']}"
    if undone["rollback_failed"]:
        line += f"; rollback failed: {undone['rollback_failed']}"
    return line
