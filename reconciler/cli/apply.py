"""``comfyops apply [PLANFILE]``: make live RunComfy deployments match the manifests."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import click

from reconciler.cli.context import AppContext
from reconciler.cli.manifests import files_option, load_desired, selected_environment
from reconciler.cli.output import scrub, use_color
from reconciler.cli.plan import FORMATS, plan_options
from reconciler.cli.planning import Planned, connect, make_plan, refuse_denied, secrets_of, with_policy
from reconciler.engine import apply, build, observe, planfile, rollback
from reconciler.engine.plan import Action, ResourceChange
from reconciler.engine.report import ApplyReport, ChangeOutcome, Outcome
from reconciler.errors import ReconcilerError
from reconciler.render import render_apply, render_plan
from reconciler.runcomfy.client import RunComfyClient
from reconciler.smoke import progress as smoke_progress
from reconciler.smoke import render as smoke_render
from reconciler.smoke import runner
from reconciler.smoke.report import SmokeReport


class _ProgressHooks:
    """Prints one line per change to stderr as apply goes."""

    def before_change(self, change: ResourceChange) -> None:
        click.echo(f"{change.action.symbol:>3} {change.name}: {change.action.value} ...", err=True)

    def after_change(self, outcome: ChangeOutcome) -> None:
        detail = f": {outcome.message}" if outcome.message else ""
        click.echo(f"    {outcome.name}: {outcome.outcome.value}{detail}", err=True)


@click.command("apply")
@click.argument("plan_file", required=False, type=click.Path(path_type=Path))
@files_option
@plan_options
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first failed change.")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True, help="Format of the report.")
@click.option("--smoke", "smoke", is_flag=True, help="Then smoke-test the deployments apply created or changed.")
@click.option(
    "--rollback-on-smoke-failure",
    is_flag=True,
    help="With --smoke: restore a changed deployment's previous settings, pause a new one, when its smoke test fails.",
)
@click.pass_obj
def command(
    app: AppContext,
    plan_file: Path | None,
    files: tuple[str, ...],
    targets: tuple[str, ...],
    allow_replace: bool,
    allow_empty: bool,
    auto_approve: bool,
    fail_fast: bool,
    fmt: str,
    smoke: bool,
    rollback_on_smoke_failure: bool,
) -> int:
    """Apply the changes plan shows (or exactly a saved PLANFILE), then read them back."""
    if rollback_on_smoke_failure and not smoke:
        raise click.UsageError("--rollback-on-smoke-failure needs --smoke")
    color = use_color(no_color_flag=app.no_color)
    if plan_file is not None:
        planned = _saved(app, plan_file, files, allow_replace)
    else:
        desired = load_desired(files)
        options = build.PlanOptions(targets=targets, allow_replace=allow_replace, allow_empty=allow_empty)
        planned = with_policy(make_plan(app, desired, options))
        text = scrub(render_plan(planned.plan, "text", color=color), planned.desired.secret_values)
        click.echo(text, nl=False, err=fmt != "text")
        refuse_denied(planned.plan)
        if planned.plan.is_empty:
            return 0
        if not auto_approve:
            _confirm()
    if planned.plan.is_empty:
        click.echo("No changes to apply.", err=fmt != "text")
        return 0
    client = connect(app, planned.desired)
    report = apply.execute(
        planned.plan, client=client, secrets=secrets_of(planned.desired), hooks=_ProgressHooks(), fail_fast=fail_fast
    )
    smoke_report = None
    if smoke and not report.interrupted:
        smoke_report = _smoke_changed(planned, report, client)
        if rollback_on_smoke_failure and not smoke_report.ok:
            failed = [r.name for r in smoke_report.results if r.status.is_problem]
            report = rollback.rollback(planned.plan, report, failed, client=client)
    _print_report(report, fmt, color, planned)
    if smoke_report is not None:
        text = scrub(smoke_render.render(smoke_report, fmt), planned.desired.secret_values)
        click.echo(text, nl=not text.endswith("\n"), err=fmt == "json")
    if report.interrupted or (smoke_report is not None and smoke_report.interrupted):
        return 130
    return 1 if report.failed or (smoke_report is not None and not smoke_report.ok) else 0


def _smoke_changed(planned: Planned, report: ApplyReport, client: RunComfyClient) -> SmokeReport:
    """Smoke-test the declared deployments this apply created, updated or replaced."""
    touched = {o.name for o in report.changes if o.outcome is Outcome.APPLIED and o.action is not Action.DELETE}
    chosen = [d for d in planned.desired.deployments if d.name in touched and not d.is_absent]
    progress = smoke_progress.make_progress(sys.stderr, [d.name for d in chosen])
    smoke_report = runner.run_smoke(planned.desired, chosen, client=client, progress=progress)
    return dataclasses.replace(smoke_report, environment=planned.plan.environment)


def _saved(app: AppContext, plan_file: Path, files: tuple[str, ...], allow_replace: bool) -> Planned:
    plan = planfile.load(plan_file)
    planfile.check_environment(plan, plan_file, selected_environment())
    if allow_replace and not plan.allow_replace:
        plan = plan.model_copy(update={"allow_replace": True})
    refuse_denied(plan)
    desired = load_desired(files or tuple(plan.manifest_files), plan.environment)
    live = observe.observe(connect(app, desired))
    reasons = planfile.stale_reasons(plan, desired, live)
    if reasons:
        raise ReconcilerError(
            f"plan is stale: {reasons[0]}" + (f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""),
            "\n".join([*reasons[1:], "re-run `comfyops plan --out FILE` and review the new plan"]),
        )
    return Planned(plan=plan, desired=desired, live=live)


def _confirm() -> None:
    if not sys.stdin.isatty():
        raise ReconcilerError(
            "refusing to apply without confirmation: there is no terminal to ask on",
            "review the plan above and re-run with --auto-approve, or apply a saved plan file",
        )
    answer = click.prompt("Apply these changes? Only 'yes' will be accepted", default="", show_default=False, err=True)
    if answer.strip() != "yes":
        raise ReconcilerError("apply cancelled: nothing was changed")


def _print_report(report: ApplyReport, fmt: str, color: bool, planned: Planned) -> None:
    report = report.model_copy(update={"environment": planned.plan.environment})
    text = scrub(render_apply(report, fmt, color=color and fmt == "text"), planned.desired.secret_values)
    click.echo(text, nl=not text.endswith("\n"))
