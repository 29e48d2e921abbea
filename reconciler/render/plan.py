"""The plan report: Terraform-like terminal text, GitHub-flavoured Markdown, and the stable JSON.

Pure: a ``Plan`` in, ``str`` out; no I/O, clock, environment, network or TTY detection (the CLI decides
whether to colour and passes ``color``).

**Text** wording is for people and may change; scripts read ``--format json``. Only the summary
sentences are kept stable on purpose, because CI logs get grepped for them:
``Plan: N to create, N to update, N to replace, N to delete.`` and
``No changes. Live deployments match the manifests.``

**Markdown** (tfcmt / Atlantis style), most important first so that truncation only ever removes the
tail: the hidden marker ``<!-- comfyops:plan -->`` on the first line (``comfyops github comment``
finds and updates the sticky comment by it), a title (naming the environment, if any), the summary
table and sentence, the policy results (a ``[!CAUTION]`` block when any policy denies), a
``[!CAUTION]`` banner naming every deployment deleted or replaced, a ``[!WARNING]`` block with the
plan-wide warnings, then one ``<details>`` block per change with a ``diff`` fence, the unmanaged
deployments and the count of unchanged ones. GitHub rejects comments over 65,536 characters, so the
result never exceeds ``max_chars``: details blocks are dropped from the end first, with a line saying
how many were cut and how to see the full plan (:func:`reconciler.github.fit.fit_items`, the one
Markdown fitter). Secrets are always masked; there is deliberately no ``show_sensitive``. Every piece
of text that came from outside (names, ids, values, API messages) is escaped by
:mod:`reconciler.render.safe` for the context it lands in.

**JSON** is the stable contract of ``--format json`` and belongs to the model (``Plan.to_json``: sorted
keys, ``format_version``), so that a saved plan file, ``plan --format json`` and ``show --format json``
can never drift apart.
"""

from __future__ import annotations

from reconciler.engine.plan import Action, Plan, ResourceChange
from reconciler.github import fit
from reconciler.render import safe, style

PLAN_MARKER = "<!-- comfyops:plan -->"
# Banner and unmanaged lists name at most this many deployments, so that the part of the comment
# that is never truncated stays small even for a plan that deletes thousands.
_LIST_LIMIT = 50
_ROWS = ((Action.CREATE, "create"), (Action.UPDATE, "update"), (Action.REPLACE, "replace"), (Action.DELETE, "delete"))


def render_plan_json(plan: Plan) -> str:
    """The plan's stable JSON form; ``Plan.from_dict(json.loads(...))`` gives the plan back."""
    return plan.to_json()


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
        lines.append(f"{style.INDENT}# {safe.terminal(reason)}")
    for field_line in style.field_lines(change):
        sign = style.paint(field_line.symbol, style.symbol_color(field_line.symbol), color=color)
        lines.append(f"{style.INDENT}{sign} {safe.terminal(field_line.text)}")
    lines.extend(f"{style.INDENT}> {safe.terminal(line)}" for line in style.rollout_lines(change))
    bang = style.paint("!", "yellow", color=color)
    lines.extend(f"{style.INDENT}{bang} {safe.terminal(style.scrub(w, secrets))}" for w in change.warnings)
    if change.monthly_cost_delta != 0:
        lines.append(f"{style.INDENT}cost: {style.money(change.monthly_cost_delta)}/month")
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


def render_plan_markdown(plan: Plan, *, max_chars: int = style.DEFAULT_MAX_CHARS, title: str | None = None,
                         show_unmanaged: bool = False) -> str:
    """The plan as a PR comment body of at most ``max_chars`` characters; unmanaged deployments are counted,
    or listed with ``show_unmanaged``."""
    secrets = style.secrets_of(plan)
    head = _markdown_head(plan, secrets, title)
    details = [_details(change, secrets) for change in plan.pending]
    tail = [b for b in (_unmanaged(plan, show_unmanaged), style.noop_sentence(plan.summary.noop)) if b]
    return fit.fit_items(head, details, tail, limit=max_chars, notice=_plan_cut_notice, hint=style.SHOW_HINT)


def render_plan_brief(plan: Plan, *, full_plan: str = "", max_chars: int = style.DEFAULT_MAX_CHARS) -> str:
    """The plan's head only (title, snapshot line, summary table, policy, delete banner, warnings, one line
    per change), for a sticky comment that links to the full plan; ``full_plan`` is Markdown saying where."""
    secrets = style.secrets_of(plan)
    head = _markdown_head(plan, secrets, None)
    lines = [f"- `{change.action.symbol}` {safe.md_code(change.name)} {change.action.value}" for change in plan.pending]
    tail = [f"**Full plan:** {full_plan}"] if full_plan else []
    return fit.fit_items(head, lines, tail, limit=max_chars, notice=_brief_cut_notice, hint=style.SHOW_HINT, glue="\n")


def _markdown_head(plan: Plan, secrets: list[str], title: str | None) -> list[str]:
    """What a plan comment never cuts: marker, title, snapshot line, summary, policy, delete banner, warnings."""
    head = [PLAN_MARKER, style.markdown_heading("ComfyOps plan", plan.environment, title), *_snapshot_line(plan)]
    head += _summary(plan)
    return head + [b for b in (_policy(plan, secrets), _caution(plan), _warnings(plan.warnings, secrets)) if b]


def _brief_cut_notice(cut: int, total: int) -> str:
    return f"_…and {cut:,} more of {total:,} changed deployments._"


def _snapshot_line(plan: Plan) -> list[str]:
    """The snapshot a plan was made from, said under the title (a plan read live says nothing here)."""
    return [safe.md_text(plan.planned_against)] if plan.snapshot is not None else []


def _summary(plan: Plan) -> list[str]:
    summary = plan.summary
    if summary.changes == 0:
        return [f"**{style.NO_CHANGES}**"]
    counts = {Action.CREATE: summary.create, Action.UPDATE: summary.update, Action.REPLACE: summary.replace,
              Action.DELETE: summary.delete}
    rows = ["| Action | Deployments |", "|:--|--:|"]
    rows += [f"| `{action.symbol}` {word} | {counts[action]} |" for action, word in _ROWS]
    rows.append(f"| unchanged | {summary.noop} |")
    rows.append(f"| monthly cost of warm instances | {style.money(plan.monthly_cost_delta)} |")
    return ["\n".join(rows), f"**{style.summary_sentence(summary)}**"]


def _policy(plan: Plan, secrets: list[str]) -> str:
    """The policy results: a CAUTION block listing denials, or a NOTE when every check passed."""
    report = plan.policy
    if report is None:
        return ""
    lines = ["> [!CAUTION]" if report.denied else ("> [!WARNING]" if report.warnings else "> [!NOTE]")]
    lines.append(f"> **{safe.md_text(report.summary())}**")
    for message in [*report.denials, *report.warnings][:_LIST_LIMIT]:
        text = safe.md_text(style.scrub(message.message, secrets))
        lines.append(f"> - **{safe.md_text(message.rule)}** {text} ({safe.md_code(message.namespace)})")
    more = len(report.denials) + len(report.warnings) - _LIST_LIMIT
    if more > 0:
        lines.append(f"> - …and {more:,} more")
    return "\n".join(lines)


def _caution(plan: Plan) -> str:
    doomed = [c for c in plan.pending if c.action.is_destructive]
    if not doomed:
        return ""
    lines = ["> [!CAUTION]", "> This plan deletes or replaces deployments:"]
    for change in doomed[:_LIST_LIMIT]:
        how = f", {change.replace_strategy.value.replace('_', ' ')}" if change.replace_strategy else ""
        ident = f" ({safe.md_code(change.id)})" if change.id else ""
        lines.append(f"> - **{change.action.value}** {safe.md_code(change.name)}{ident}{how}")
    if len(doomed) > _LIST_LIMIT:
        lines.append(f"> - …and {len(doomed) - _LIST_LIMIT:,} more")
    return "\n".join(lines)


def _warnings(warnings: list[str], secrets: list[str]) -> str:
    if not warnings:
        return ""
    return "\n".join(["> [!WARNING]", *(f"> - {safe.md_text(style.scrub(w, secrets))}" for w in warnings)])


def _details(change: ResourceChange, secrets: list[str]) -> str:
    symbol = style.change_symbol(change)
    ident = f" (<code>{safe.html_text(change.id)}</code>)" if change.id else ""
    summary = (f"<code>{safe.html_text(symbol)}</code> <b>{safe.html_text(change.name)}</b>{ident} "
               f"{style.headline(change)}")
    reason = style.where(change, secrets)
    lines = [f"# {reason}"] if reason else []
    lines += [f"{line.symbol} {line.text}" for line in style.field_lines(change)]
    lines += [f"# {line}" for line in style.rollout_lines(change)]
    lines += [f"! {style.scrub(w, secrets)}" for w in change.warnings]
    if change.monthly_cost_delta != 0:
        lines.append(f"# cost: {style.money(change.monthly_cost_delta)}/month")
    return f"<details><summary>{summary}</summary>\n\n{safe.md_block(lines, 'diff')}\n\n</details>"


def _unmanaged(plan: Plan, show: bool) -> str:
    if not plan.unmanaged:
        return ""
    if not show:
        return style.unmanaged_count(len(plan.unmanaged)).replace(
            "--show-unmanaged", "`--show-unmanaged`")
    lines = [f"**Unmanaged deployments** ({style.UNMANAGED_NOTE}):", ""]
    lines += [f"- {safe.md_code(u.name)} ({safe.md_code(u.id)})" for u in plan.unmanaged[:_LIST_LIMIT]]
    if len(plan.unmanaged) > _LIST_LIMIT:
        lines.append(f"- …and {len(plan.unmanaged) - _LIST_LIMIT:,} more")
    return "\n".join(lines)


def _plan_cut_notice(cut: int, total: int) -> str:
    return (f"_Details of {cut:,} of {total:,} changed deployments were cut to fit the comment size "
            f"limit; {style.SHOW_HINT}._")
