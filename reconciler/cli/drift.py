"""``comfyops drift``: has anyone changed the live deployments behind git's back? Read-only.

Effectful shell: one list call, plan's own matching and diff (``cli.observing``), a DriftReport,
printed as text, JSON or Markdown. No lock, no write, no mutating call. Exit 0 in sync, 2 drift
found, 1 error. ``--smoke`` also runs the smoke tests (those do submit requests) and reports them
beside the drift without changing the exit code.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from reconciler.cli.context import AppContext
from reconciler.cli.followups import followup
from reconciler.cli.manifests import files_option, load_desired
from reconciler.cli.observing import Observed, apply_command, observe_plan
from reconciler.cli.output import scrub, use_color
from reconciler.cli.summary import publish, summary_option
from reconciler.engine import drift, targets
from reconciler.render.drift import FORMATS, render_drift
from reconciler.smoke import progress as smoke_progress
from reconciler.smoke import runner
from reconciler.smoke.report import SmokeReport


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
def command(app: AppContext, files: tuple[str, ...], fmt: str, target_patterns: tuple[str, ...], smoke: bool,
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
    observed = observe_plan(app, desired, target_patterns, will_smoke=smoke)
    smoke_data = _smoke(observed, target_patterns).to_dict() if smoke else None
    report = drift.build_drift(
        observed.plan, observed.live, checked_at=checked_at,
        apply_command=apply_command(app, files, desired.environment_name),
        import_command=followup("import", app=app), smoke=smoke_data,
    )
    color = fmt == "text" and use_color(no_color_flag=app.no_color)
    text = scrub(render_drift(report, fmt, color=color), desired.secret_values)
    click.echo(text, nl=not text.endswith("\n"))
    publish(summary, lambda: render_drift(report, "markdown"), desired.secret_values)
    return 2 if report.has_drift else 0


def _smoke(observed: Observed, target_patterns: tuple[str, ...]) -> SmokeReport:
    """Smoke-test the declared deployments with ``spec.smoke`` (targeted ones only), on the records
    the drift check already read, so no second list call is made."""
    chosen = [
        d for d in observed.desired.deployments
        if d.smoke is not None and not d.is_absent and targets.selected(d.name, target_patterns)
    ]
    progress = smoke_progress.make_progress(sys.stderr, [d.name for d in chosen])
    report = runner.run_smoke(observed.desired, chosen, client=observed.client, progress=progress,
                              live=observed.records)
    if report.interrupted:
        raise KeyboardInterrupt
    return report
