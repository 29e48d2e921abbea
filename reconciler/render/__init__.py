"""Renderers: a ``Plan`` or ``ApplyReport`` in, text, JSON or Markdown out.

Pure: no I/O, no clock, no environment, no TTY detection. Options such as ``color`` and
``max_chars`` are parameters; the CLI decides them and prints the result. ``render_plan`` and
``render_apply`` are the one entry point the CLI uses; the per-format modules are public too.
Drift reports and the status table have their own modules (``render.drift``, ``render.status``); the
smoke gallery is ``render.gallery`` (HTML from Jinja2 templates in ``render/templates/``).

Only ``json`` is a stable contract (it follows ``format_version``). Text and Markdown wording may
change, except the summary sentences documented in ``render.plan`` and ``render.apply``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:  # the renderers are imported when used: ``render.safe`` alone must not pull in every model
    from reconciler.engine.plan import Plan
    from reconciler.engine.report import ApplyReport

FORMATS: tuple[str, ...] = ("text", "json", "markdown")

_T = TypeVar("_T")


def render_plan(plan: Plan, fmt: str, *, color: bool = False, show_unmanaged: bool = False) -> str:
    """``plan`` in format ``fmt`` (``text``, ``json`` or ``markdown``); ``color`` affects text only.

    Text and Markdown count the unmanaged deployments left alone; ``show_unmanaged`` lists them (JSON
    always lists them all)."""
    from reconciler.render import plan as plan_report

    renderers: dict[str, Callable[[Plan], str]] = {
        "text": lambda p: plan_report.render_plan_text(p, color=color, show_unmanaged=show_unmanaged),
        "json": plan_report.render_plan_json,
        "markdown": lambda p: plan_report.render_plan_markdown(p, show_unmanaged=show_unmanaged),
    }
    return _pick(renderers, fmt)(plan)


def render_apply(report: ApplyReport, fmt: str, *, color: bool = False) -> str:
    """``report`` in format ``fmt`` (``text``, ``json`` or ``markdown``); ``color`` affects text only."""
    from reconciler.render import apply as apply_report

    renderers: dict[str, Callable[[ApplyReport], str]] = {
        "text": lambda r: apply_report.render_apply_text(r, color=color),
        "json": apply_report.render_apply_json,
        "markdown": apply_report.render_apply_markdown,
    }
    return _pick(renderers, fmt)(report)


def _pick(renderers: dict[str, Callable[[_T], str]], fmt: str) -> Callable[[_T], str]:
    try:
        return renderers[fmt]
    except KeyError:
        raise ValueError(f"unknown output format {fmt!r}; expected one of: {', '.join(FORMATS)}") from None


__all__ = ["FORMATS", "render_apply", "render_plan"]
