"""``comfyops status``: a table of live deployments and their sync state with the manifests.

Effectful shell: one list call, plan's own matching and diff (``cli.observing``), a StatusReport,
printed as an aligned table (coloured only on a terminal) or JSON. Read-only; exit 0, or 1 on error.
"""

from __future__ import annotations

import click

from reconciler.cli import output
from reconciler.cli.manifests import files_option, load_desired
from reconciler.cli.output import use_color
from reconciler.cli.summary import publish, summary_option
from reconciler.render.status import FORMATS, render_status, text_block
from reconciler.session import observing
from reconciler.session.session import Session


@click.command("status")
@files_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@summary_option
@click.pass_obj
def command(app: Session, files: tuple[str, ...], fmt: str, summary: bool) -> int:
    """Show live deployments with hardware, instances, API status, manifest, cost and sync state.

    Sync states: Synced, OutOfSync (with the drifted fields), Unmanaged (no manifest, outside
    prune.match), Missing (declared, not live), PendingDelete (state: absent, or in prune scope).
    """
    desired = load_desired(files)
    report = observing.status_report(app, desired)
    color = fmt == "text" and use_color(no_color_flag=app.no_color)
    text = render_status(report, fmt, color=color)
    output.echo(text, nl=not text.endswith("\n"))
    publish(summary, lambda: text_block("ComfyOps status", render_status(report, "text")))
    return 0
