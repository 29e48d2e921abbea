"""The apply report: terminal text, GitHub-flavoured Markdown, and the stable JSON.

Pure: an ``ApplyReport`` in, ``str`` out; no I/O, clock, environment or TTY detection.

Text wording may change, except the final sentence that CI logs get grepped for:
``Apply complete: N applied, N failed, N skipped.`` (``Apply failed: ...`` when anything failed).
Markdown starts with the hidden marker ``<!-- comfyops:apply -->`` and is fitted under
``max_chars`` by the one Markdown fitter, rows dropped from the end. JSON (``ApplyReport.to_json``,
per-outcome counts and ``failed``) is the stable contract of ``--format json``.
"""

from __future__ import annotations

from reconciler.engine.report import ApplyReport, ChangeOutcome, Outcome
from reconciler.github import fit
from reconciler.render import safe, style

APPLY_MARKER = "<!-- comfyops:apply -->"
_OUTCOME_COLOR = {Outcome.APPLIED: "green", Outcome.FAILED: "red", Outcome.SKIPPED: "yellow"}


def render_apply_json(report: ApplyReport) -> str:
    """The apply report's stable JSON form, with per-outcome counts and ``failed``."""
    return report.to_json()


def render_apply_text(report: ApplyReport, *, color: bool = False, sentence: bool = True) -> str:
    """The apply report: one line per change, rollback notes, read-back problems, a final sentence."""
    lines = [line for change in report.changes for line in _outcome_lines(change, color=color)]
    if report.readback_problems:
        if lines:
            lines.append("")
        lines.append(style.paint("Read-back problems (live differs from the manifests after apply):", "bold",
                                 color=color))
        bang = style.paint("!", "red", color=color)
        lines.extend(f"  {bang} {safe.terminal(problem)}" for problem in report.readback_problems)
    if report.interrupted:
        if lines:
            lines.append("")
        lines.append(style.paint("Apply was interrupted; changes not listed above were not attempted.", "red",
                                 color=color))
    if not sentence:
        return "\n".join(lines) + "\n" if lines else ""
    if lines:
        lines.append("")
    lines.append(style.paint(apply_sentence(report), "red" if report.failed else "green", color=color))
    if report.environment is not None:
        lines.insert(0, style.paint(f"Environment: {safe.terminal(report.environment)}", "bold", color=color))
    return "\n".join(lines) + "\n"


def apply_sentence(report: ApplyReport) -> str:
    """``Apply complete: 2 applied, 0 failed, 1 skipped.`` (``Apply failed: ...`` when anything failed)."""
    counts = report.counts()
    verdict = "Apply failed" if report.failed else "Apply complete"
    return f"{verdict}: {counts['applied']} applied, {counts['failed']} failed, {counts['skipped']} skipped."


def _outcome_lines(change: ChangeOutcome, *, color: bool) -> list[str]:
    outcome = style.paint(f"{change.outcome.value:<8}", _OUTCOME_COLOR[change.outcome], color=color)
    symbol = style.paint(change.action.symbol, style.action_color(change.action), color=color)
    name = safe.terminal(f"{change.name} ({change.id})" if change.id else change.name)
    line = f"{outcome} {symbol} {name}" + (f": {safe.terminal(change.message)}" if change.message else "")
    lines = [line]
    if change.rollback:
        lines.append(f"{style.INDENT}rollback: {safe.terminal(change.rollback)}")
    return lines


def render_apply_markdown(report: ApplyReport, *, max_chars: int = style.DEFAULT_MAX_CHARS,
                          title: str | None = None) -> str:
    """The apply report as a PR comment body: verdict, problems, and a table of outcomes."""
    heading = style.markdown_heading("ComfyOps apply", report.environment, title)
    head = [APPLY_MARKER, heading, f"**{apply_sentence(report)}**"]
    problems = _apply_problems(report)
    if problems:
        head.append(problems)
    rows = [_outcome_row(change) for change in report.changes]
    lead = "| Outcome | Action | Deployment | ID | Message |\n|:--|:--|:--|:--|:--|\n"
    return fit.fit_items(head, rows, [], limit=max_chars, notice=_apply_cut_notice, hint=style.SHOW_HINT, glue="\n",
                        lead=lead)


def _apply_problems(report: ApplyReport) -> str:
    lines = []
    if report.interrupted:
        lines.append("> Apply was interrupted; changes not listed below were not attempted.")
    if report.readback_problems:
        lines.append("> Read-back problems (live differs from the manifests after apply):")
        lines += [f"> - {safe.md_text(p)}" for p in report.readback_problems]
    return "\n".join(["> [!CAUTION]", *lines]) if lines else ""


def _outcome_row(change: ChangeOutcome) -> str:
    parts = [change.message, f"rollback: {change.rollback}" if change.rollback else ""]
    message = "<br>".join(safe.md_cell(part) for part in parts if part)
    cells = [change.outcome.value, f"`{change.action.symbol}` {change.action.value}",
             safe.md_code(change.name, cell=True), safe.md_code(change.id, cell=True) if change.id else "", message]
    return "| " + " | ".join(cells) + " |"


def _apply_cut_notice(cut: int, total: int) -> str:
    return f"_{cut:,} of {total:,} rows were cut to fit the comment size limit; see the job log for all of them._"
