"""Shared vocabulary of the renderers: values, money, summary sentences, field lines, masking, colour.

Pure: no I/O, no clock, no environment, no TTY detection. Every renderer (text, Markdown) builds
on these helpers so that a value, a cost or the "Plan: ..." sentence is spelled the same way in
every format and computed in one place (the OpenTofu wart of building the summary sentence in
several places is what this avoids).

Masking happens here, once: a desired value is shown as ``(sensitive value)`` when the change lists
its field in ``sensitive_fields`` or its ``FieldChange`` is marked sensitive; a live value only when
the change lists it in ``before_sensitive`` (it holds a secret), so that a reviewer still sees what
is live now. Free text (reasons, warnings) is scrubbed of any sensitive value the plan happens to
carry, as tfcmt's masks do.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, NamedTuple

from reconciler.engine.plan import Action, Plan, ReplaceStrategy, ResourceChange, Summary
from reconciler.render import safe
from reconciler.secrets import SENSITIVE, mask

NO_CHANGES = "No changes. Live deployments match the manifests."
UNMANAGED_NOTE = "not managed by these manifests; left alone"
INDENT = "      "  # a change's detail lines under its headline, in terminal text
DEFAULT_MAX_CHARS = 60_000  # a Markdown report's size: under GitHub's 65,536-character comment limit
SHOW_HINT = "run `comfyops show` on the plan artifact for the full plan"


def unmanaged_count(count: int) -> str:
    """``3 unmanaged deployments (not managed by these manifests; left alone); --show-unmanaged lists them.``"""
    noun, them = ("deployment", "it") if count == 1 else ("deployments", "them")
    return f"{count:,} unmanaged {noun} ({UNMANAGED_NOTE}); --show-unmanaged lists {them}."

_ANSI = {"bold": "1", "red": "31", "green": "32", "yellow": "33", "magenta": "35"}
_ACTION_COLOR = {
    Action.CREATE: "green",
    Action.UPDATE: "yellow",
    Action.REPLACE: "magenta",
    Action.DELETE: "red",
    Action.NOOP: "bold",
}
_SYMBOL_COLOR = {"+": "green", "-": "red", "~": "yellow", "!": "yellow"}
_HEADLINE = {
    Action.CREATE: "will be created",
    Action.UPDATE: "will be updated in place",
    Action.REPLACE: "must be replaced",
    Action.DELETE: "will be deleted",
    Action.NOOP: "is unchanged",
}
# Secrets shorter than this are not scrubbed from free text: masking every "1" or "on" in a
# warning would make the text unreadable and protect nothing worth protecting.
_MIN_SCRUB_LEN = 4


class FieldLine(NamedTuple):
    """One line of a deployment's diff: a marker (``+``, ``-``, ``~``) and the text after it."""

    symbol: str
    text: str


def paint(text: str, style: str, *, color: bool) -> str:
    """``text`` wrapped in the ANSI escape for ``style`` (see ``_ANSI``) when ``color`` is on."""
    if not color or not text:
        return text
    return f"\x1b[{_ANSI[style]}m{text}\x1b[0m"


def action_color(action: Action) -> str:
    """The colour style of an action: green create, yellow update, magenta replace, red delete."""
    return _ACTION_COLOR[action]


def symbol_color(symbol: str) -> str:
    """The colour style of a field-line marker."""
    return _SYMBOL_COLOR.get(symbol, "bold")


def change_symbol(change: ResourceChange) -> str:
    """Terraform's marker: ``+/-`` for a create-before-destroy replace, else the action's own symbol."""
    if change.action is Action.REPLACE and change.replace_strategy is ReplaceStrategy.CREATE_BEFORE_DESTROY:
        return "+/-"
    return change.action.symbol


def headline(change: ResourceChange) -> str:
    """What happens to the deployment, e.g. ``will be updated in place`` or ``must be replaced``."""
    text = _HEADLINE[change.action]
    if change.action is Action.REPLACE and change.replace_strategy is not None:
        text += f" ({change.replace_strategy.value.replace('_', ' ')})"
    return text


def label(change: ResourceChange) -> str:
    """The deployment's name with its live id when it has one: ``media-foo (dep-1)``."""
    return f"{change.name} ({change.id})" if change.id else change.name


def format_value(value: Any) -> str:
    """A value as JSON (strings quoted, ``null``/``true``), keys sorted, on one line."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def rollout_lines(change: ResourceChange) -> list[str]:
    """The rollout of ``change`` (through a candidate) as a headline and its numbered steps; none without one."""
    rollout = change.rollout
    if rollout is None:
        return []
    head = (
        f"rollout through candidate {rollout.candidate}: {rollout.smoke_runs} smoke runs, the candidate's at most "
        f"${rollout.candidate_cost_max:,.2f} (cold start + smoke timeout), at least {rollout.extra_api_calls} "
        "more API calls than apply --smoke"
    )
    return [head, *(f"  {index}. {step}" for index, step in enumerate(rollout.steps, 1))]


def money(amount: float) -> str:
    """A signed USD amount: ``+$1,825.00``, ``-$12.50``; zero is ``$0.00``."""
    amount = round(amount, 2)
    if amount == 0:
        return "$0.00"
    return f"{'+' if amount > 0 else '-'}${abs(amount):,.2f}"


def summary_sentence(summary: Summary) -> str:
    """``Plan: 1 to create, 2 to update, 0 to replace, 1 to delete.`` or the no-changes sentence."""
    if summary.changes == 0:
        return NO_CHANGES
    return (
        f"Plan: {summary.create} to create, {summary.update} to update, "
        f"{summary.replace} to replace, {summary.delete} to delete."
    )


def cost_sentence(plan: Plan) -> str:
    """``Monthly cost of warm instances: +$1,825.00``, or ``""`` when the plan changes no cost."""
    delta = plan.monthly_cost_delta
    return f"Monthly cost of warm instances: {money(delta)}" if round(delta, 2) != 0 else ""


def noop_sentence(count: int) -> str:
    """How many deployments already match, or ``""`` when none do."""
    if count == 0:
        return ""
    return f"{count} deployment{'s' if count != 1 else ''} unchanged."


def is_sensitive(change: ResourceChange, field: str, marked: bool = False) -> bool:
    """Whether the desired value of ``field`` of ``change`` must be masked."""
    return marked or field in change.sensitive_fields


def is_live_sensitive(change: ResourceChange, field: str) -> bool:
    """Whether the live value of ``field`` of ``change`` must be masked (it holds a secret)."""
    return field in change.before_sensitive


def field_lines(change: ResourceChange) -> list[FieldLine]:
    """The diff lines of one change, masked: ``+`` for creates, ``-`` for deletes, ``~`` otherwise."""
    if change.action is Action.DELETE:
        essence = change.before or {}
        return [
            FieldLine("-", f"{key}: {_live(change, key, essence[key])}") for key in essence if key != "name"
        ]
    lines = []
    for fc in change.diff:
        after = SENSITIVE if is_sensitive(change, fc.field, fc.sensitive) else format_value(fc.after)
        if change.action is Action.CREATE:
            lines.append(FieldLine("+", f"{fc.field}: {after}"))
        else:
            lines.append(FieldLine("~", f"{fc.field}: {_live(change, fc.field, fc.before)} -> {after}"))
    return lines


def _live(change: ResourceChange, field: str, value: Any) -> str:
    return SENSITIVE if is_live_sensitive(change, field) else format_value(value)


def secrets_of(plan: Plan) -> list[str]:
    """Every string value the plan carries in a masked place, longest first (for ``scrub``)."""
    found: set[str] = set()
    for change in plan.changes:
        if not change.sensitive_fields and not change.before_sensitive and not any(fc.sensitive for fc in change.diff):
            continue  # nothing masked in it (most changes of a large plan)
        for fc in change.diff:
            if is_sensitive(change, fc.field, fc.sensitive):
                found.update(_strings((fc.after,)))
            if is_live_sensitive(change, fc.field):
                found.update(_strings((fc.before,)))
        found.update(_strings(v for k, v in (change.after or {}).items() if k in change.sensitive_fields))
        found.update(_strings(v for k, v in (change.before or {}).items() if k in change.before_sensitive))
    return sorted((s for s in found if len(s) >= _MIN_SCRUB_LEN), key=lambda s: (-len(s), s))


def _strings(values: Iterable[Any]) -> Iterable[str]:
    return (v for v in values if isinstance(v, str))


def scrub(text: str, secrets: list[str]) -> str:
    """``text`` with every secret in ``secrets`` replaced by ``(sensitive value)``."""
    return mask(text, secrets)


def where(change: ResourceChange, secrets: list[str]) -> str:
    """The reason, led by the manifest location as editors link it: ``manifests/a.yaml:3: settings differ``."""
    reason = scrub(change.reason, secrets)
    if change.source:
        return f"{change.source}: {reason}" if reason else change.source
    return reason


def markdown_heading(what: str, environment: str | None, title: str | None) -> str:
    """``## title``: the operator's own ``--title`` (its Markdown kept, on one line), else ``what: environment``."""
    if title:
        return f"## {safe.terminal(title)}"
    return f"## {what}" + (f": {safe.md_text(environment)}" if environment is not None else "")
