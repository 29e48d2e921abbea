"""``comfyops show PLANFILE``: render a saved plan exactly as plan printed it."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli import output
from reconciler.cli.manifests import env_option, selected_environment
from reconciler.cli.output import use_color
from reconciler.cli.summary import publish, summary_option
from reconciler.engine import planfile
from reconciler.github.summary import STEP_SUMMARY_LIMIT
from reconciler.render import plan as plan_report
from reconciler.render import render_plan
from reconciler.session import planfiles
from reconciler.session.session import Session


@click.command("show")
@click.argument("plan_file", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option(
    "--brief",
    is_flag=True,
    help="With --format markdown: only the head (summary, policy, deletions, one line per change), for a comment.",
)
@click.option("--show-unmanaged", is_flag=True, help="List the unmanaged deployments left alone (else counted).")
@env_option
@summary_option
@click.pass_obj
def command(app: Session, plan_file: Path, fmt: str, brief: bool, show_unmanaged: bool, summary: bool) -> None:
    """Render a plan saved with `comfyops plan --out FILE`."""
    if brief and fmt != "markdown":
        raise click.UsageError("--brief needs --format markdown")
    plan = planfiles.load(plan_file)
    planfile.check_environment(plan, plan_file, selected_environment())
    if brief:
        text = plan_report.render_plan_brief(plan)
    else:
        text = render_plan(plan, fmt, color=fmt == "text" and use_color(no_color_flag=app.no_color),
                           show_unmanaged=show_unmanaged)
    output.echo(text, nl=not text.endswith("\n"))
    publish(summary, lambda: plan_report.render_plan_markdown(plan, max_chars=STEP_SUMMARY_LIMIT // 2,
                                                           show_unmanaged=show_unmanaged))
