"""Terraform-like terminal text for plans and apply reports.

Pure: ``Plan``/``ApplyReport`` in, ``str`` out. No I/O, no clock, no environment, no TTY
detection: the CLI decides whether to colour (``NO_COLOR``, ``isatty``) and passes ``color``.

The wording is for people and may change; scripts should read ``--format json`` instead. Only
the final summary sentences are kept stable on purpose, because CI logs get grepped for them:
``Plan: N to create, N to update, N to replace, N to delete.``,
``No changes. Live deployments match the manifests.`` and
``Apply complete: N applied, N failed, N skipped.`` (``Apply failed: ...`` when anything failed).
"""

from __future__ import annotations

from reconciler.engine.plan import Plan, ResourceChange
from reconciler.engine.report import ApplyReport, ChangeOutcome, Outcome
from reconciler.render import safe, style

_INDENT = "      "
_OUTCOME_COLOR = {Outcome.APPLIED: "green", Outcome.FAILED: "red", Outcome.SKIPPED: "yellow"}


def render_plan_text(plan: Plan, *, color: bool = False, show_unmanaged: bool = False) -> str:
    """The plan as Terraform-style text: one block per change, unmanaged (a count, or the list with
    ``show_unmanaged``), warnings, summary."""
    secrets = style.secrets_of(plan)
    sections: list[list[str]] = []
    environment = f"Environment: {safe.terminal(plan.environment)}"
    header = [style.paint(environment, "bold", color=color)] if plan.environment else []
    header += [safe.terminal(plan.planned_against)] if plan.planned_against else []
    if header:
        sections.append(header)
    if plan.pending:
        sections.append([style.paint("ComfyOps will perform the following actions:", "bold", color=color)])
        sections.extend(_change_block(c, secrets, color=color) for c in plan.pending)
    if plan.unmanaged:
        sections.append(_unmanaged_block(plan, color=color) if show_unmanaged
                        else [style.unmanaged_count(len(plan.unmanaged))])
    if plan.warnings:
        heading = style.paint("Warnings:", "bold", color=color)
        bang = style.paint("!", "yellow", color=color)
        sections.append([heading, *(f"  {bang} {safe.terminal(style.scrub(w, secrets))}" for w in plan.warnings)])
    if plan.policy is not None:
        sections.append(_policy_block(plan, secrets, color=color))
    sections.append(_summary_block(plan, color=color))
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"


def _change_block(change: ResourceChange, secrets: list[str], *, color: bool) -> list[str]:
    tint = style.action_color(change.action)
    symbol = style.change_symbol(change)
    marker = style.paint(symbol.rjust(3), tint, color=color)
    label = style.paint(safe.terminal(style.label(change)), "bold", color=color)
    lines = [f"{marker} {label} {style.headline(change)}"]
    reason = style.where(change, secrets)
    if reason:
        lines.append(f"{_INDENT}# {safe.terminal(reason)}")
    for field_line in style.field_lines(change):
        sign = style.paint(field_line.symbol, style.symbol_color(field_line.symbol), color=color)
        lines.append(f"{_INDENT}{sign} {safe.terminal(field_line.text)}")
    lines.extend(f"{_INDENT}> {safe.terminal(line)}" for line in style.rollout_lines(change))
    bang = style.paint("!", "yellow", color=color)
    lines.extend(f"{_INDENT}{bang} {safe.terminal(style.scrub(w, secrets))}" for w in change.warnings)
    if change.monthly_cost_delta != 0:
        lines.append(f"{_INDENT}cost: {style.money(change.monthly_cost_delta)}/month")
    return lines


def _unmanaged_block(plan: Plan, *, color: bool) -> list[str]:
    heading = style.paint(f"Unmanaged deployments ({style.UNMANAGED_NOTE}):", "bold", color=color)
    return [heading, *(f"  ? {safe.terminal(u.name)} ({safe.terminal(u.id)})" for u in plan.unmanaged)]


def _policy_block(plan: Plan, secrets: list[str], *, color: bool) -> list[str]:
    assert plan.policy is not None
    report = plan.policy
    lines = [style.paint("Policy:", "bold", color=color)]
    for message in report.denials:
        mark = style.paint("x", "red", color=color)
        lines.append(f"  {mark} {_policy_line(message.rule, style.scrub(message.message, secrets), message.namespace)}")
    for message in report.warnings:
        mark = style.paint("!", "yellow", color=color)
        lines.append(f"  {mark} {_policy_line(message.rule, style.scrub(message.message, secrets), message.namespace)}")
    lines.append("  " + style.paint(safe.terminal(report.summary()), "red" if report.denied else "green", color=color))
    return lines


def _policy_line(rule: str, message: str, namespace: str) -> str:
    return f"{safe.terminal(rule)}: {safe.terminal(message)} ({safe.terminal(namespace)})"


def _summary_block(plan: Plan, *, color: bool) -> list[str]:
    summary = plan.summary
    lines = [style.noop_sentence(summary.noop)] if summary.noop else []
    sentence = style.summary_sentence(summary)
    lines.append(style.paint(sentence, "bold" if summary.changes else "green", color=color))
    cost = style.cost_sentence(plan)
    if cost:
        lines.append(cost)
    return lines


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
        lines.append(f"{_INDENT}rollback: {safe.terminal(change.rollback)}")
    return lines

