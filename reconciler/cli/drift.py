"""``comfyops drift``: has anyone changed the live deployments behind git's back? Read-only.

Effectful shell: one list call, plan's own matching and diff (``cli.observing``), a DriftReport,
printed as text, JSON or Markdown. No lock, no write, no mutating call. Exit 0 in sync, 2 drift
found, 1 error. ``--smoke`` also runs the smoke tests (those do submit requests) and reports them
beside the drift without changing the exit code.
"""

from __future__ import annotations

from datetime import UTC, datetime

import click

from reconciler.cli import output
from reconciler.cli.manifests import files_option, load_desired
from reconciler.cli.output import use_color
from reconciler.cli.summary import publish, summary_option
from reconciler.render.drift import FORMATS, render_drift
from reconciler.session import observing
from reconciler.session.session import Session


@click.command("drift")
@files_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--target", "target_patterns", multiple=True, metavar="NAME",
              help="Only deployments whose name matches (repeatable; globs like media-*); a pattern that "
                   "matches nothing is an error.")
@click.option("--smoke", is_flag=True,
              help="Also run the smoke tests and report them (they do not change the exit code).")
@summary_option
@click.pass_obj
def command(app: Session, files: tuple[str, ...], fmt: str, target_patterns: tuple[str, ...], smoke: bool,
            summary: bool) -> int:
    """Compare live deployments with the manifests, read-only: exit 0 in sync, 2 drift, 1 error.

    Reports drifted fields (desired and live value, when RunComfy last changed it), declared
    deployments that are missing, undeclared ones inside a prune pattern, and error states.

    \b
    Examples:
      comfyops drift -f deployments
      comfyops drift -f deployments --format markdown > drift.md
    """
    desired = load_desired(files)
    checked_at = datetime.now(UTC).isoformat(timespec="seconds")
    report = observing.drift_report(
        app, desired, target_patterns, files=files, smoke=smoke, checked_at=checked_at)
    color = fmt == "text" and use_color(no_color_flag=app.no_color)
    text = render_drift(report, fmt, color=color)
    output.echo(text, nl=not text.endswith("\n"))
    publish(summary, lambda: render_drift(report, "markdown"))
    return 2 if report.has_drift else 0

