"""GitHub-flavoured Markdown for PR comments and step summaries (tfcmt / Atlantis style).

Pure: ``Plan``/``ApplyReport`` in, ``str`` out; no I/O, clock, environment or network.

Layout of a plan comment, most important first, so that truncation only ever removes the tail:
the hidden marker ``<!-- comfyops:plan -->`` on the first line (``comfyops github comment``
finds and updates the sticky comment by it), a title (naming the environment, if any), the summary
table and sentence, the policy results (a ``[!CAUTION]`` block when any policy denies), a
``[!CAUTION]`` banner naming every deployment deleted or replaced, a ``[!WARNING]`` block with
the plan-wide warnings, then one ``<details>`` block per change with a ``diff`` fence, the
unmanaged deployments and the count of unchanged ones.

GitHub rejects comments over 65,536 characters, so the result never exceeds ``max_chars``:
details blocks are dropped from the end first, with a line saying how many were cut and how to
see the full plan (:func:`reconciler.github.fit.fit_items`, the one Markdown fitter). Secrets are
always masked here; there is deliberately no ``show_sensitive``. Every piece of text that came from
outside (names, ids, values, API messages) is escaped by :mod:`reconciler.render.safe` for the context
it lands in (inline code, table cell, prose, HTML, code fence).
"""

from __future__ import annotations

from reconciler.engine.plan import Action, Plan, ResourceChange
from reconciler.engine.report import ApplyReport, ChangeOutcome
from reconciler.github import fit
from reconciler.render import safe, style, text

PLAN_MARKER = "<!-- comfyops:plan -->"
APPLY_MARKER = "<!-- comfyops:apply -->"
DEFAULT_MAX_CHARS = 60_000
# Banner and unmanaged lists name at most this many deployments, so that the part of the comment
# that is never truncated stays small even for a plan that deletes thousands.
_LIST_LIMIT = 50
_SHOW_HINT = "run `comfyops show` on the plan artifact for the full plan"
_ROWS = ((Action.CREATE, "create"), (Action.UPDATE, "update"), (Action.REPLACE, "replace"), (Action.DELETE, "delete"))


def render_plan_markdown(plan: Plan, *, max_chars: int = DEFAULT_MAX_CHARS, title: str | None = None,
                         show_unmanaged: bool = False) -> str:
    """The plan as a PR comment body of at most ``max_chars`` characters; unmanaged deployments are counted,
    or listed with ``show_unmanaged``."""
    secrets = style.secrets_of(plan)
    head = [PLAN_MARKER, _heading("ComfyOps plan", plan.environment, title), *_snapshot_line(plan), *_summary(plan)]
    head += [b for b in (_policy(plan, secrets), _caution(plan), _warnings(plan.warnings, secrets)) if b]
    details = [_details(change, secrets) for change in plan.pending]
    tail = [b for b in (_unmanaged(plan, show_unmanaged), style.noop_sentence(plan.summary.noop)) if b]
    return fit.fit_items(head, details, tail, limit=max_chars, notice=_plan_cut_notice, hint=_SHOW_HINT)


def render_plan_brief(plan: Plan, *, full_plan: str = "", max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The plan's head only (title, snapshot line, summary table, policy, delete banner, warnings, one line
    per change), for a sticky comment that links to the full plan; ``full_plan`` is Markdown saying where."""
    secrets = style.secrets_of(plan)
    head = [PLAN_MARKER, _heading("ComfyOps plan", plan.environment, None), *_snapshot_line(plan), *_summary(plan)]
    head += [b for b in (_policy(plan, secrets), _caution(plan), _warnings(plan.warnings, secrets)) if b]
    lines = [f"- `{change.action.symbol}` {safe.md_code(change.name)} {change.action.value}" for change in plan.pending]
    tail = [f"**Full plan:** {full_plan}"] if full_plan else []
    return fit.fit_items(head, lines, tail, limit=max_chars, notice=_brief_cut_notice, hint=_SHOW_HINT, glue="\n")


def _brief_cut_notice(cut: int, total: int) -> str:
    return f"_…and {cut:,} more of {total:,} changed deployments._"


def _snapshot_line(plan: Plan) -> list[str]:
    """The snapshot a plan was made from, said under the title (a plan read live says nothing here)."""
    return [safe.md_text(plan.planned_against)] if plan.snapshot is not None else []


def _heading(what: str, environment: str | None, title: str | None) -> str:
    """``## title``: the operator's own ``--title`` (its Markdown kept, on one line), else ``what: environment``."""
    if title:
        return f"## {safe.terminal(title)}"
    return f"## {what}" + (f": {safe.md_text(environment)}" if environment is not None else "")


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
            f"limit; {_SHOW_HINT}._")


def render_apply_markdown(report: ApplyReport, *, max_chars: int = DEFAULT_MAX_CHARS, title: str | None = None) -> str:
    """The apply report as a PR comment body: verdict, problems, and a table of outcomes."""
    head = [APPLY_MARKER, _heading("ComfyOps apply", report.environment, title), f"**{text.apply_sentence(report)}**"]
    problems = _apply_problems(report)
    if problems:
        head.append(problems)
    rows = [_outcome_row(change) for change in report.changes]
    lead = "| Outcome | Action | Deployment | ID | Message |\n|:--|:--|:--|:--|:--|\n"
    return fit.fit_items(head, rows, [], limit=max_chars, notice=_apply_cut_notice, hint=_SHOW_HINT, glue="\n",
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


