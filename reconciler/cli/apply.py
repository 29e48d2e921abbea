"""``comfyops apply [PLANFILE]``: make live RunComfy deployments match the manifests."""

from __future__ import annotations

import dataclasses
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import click

from reconciler.cli import applylock
from reconciler.cli.context import AppContext
from reconciler.cli.followups import followup, invocation
from reconciler.cli.manifests import files_option, load_desired, selected_environment
from reconciler.cli.output import scrub, use_color
from reconciler.cli.plan import FORMATS, plan_options
from reconciler.cli.planning import Planned, connect, make_plan, refuse_denied, secret_strings, secrets_of, with_policy
from reconciler.cli.policycheck import refuse_broken_policies
from reconciler.cli.recording import journal
from reconciler.cli.summary import publish, summary_option
from reconciler.engine import apply, build, observe, planfile, rollback
from reconciler.engine.plan import Action, Plan, ResourceChange
from reconciler.engine.report import ApplyReport, ChangeOutcome, Outcome
from reconciler.errors import ReconcilerError
from reconciler.followup import Invocation
from reconciler.manifest.desired import DesiredState
from reconciler.render import render_apply, render_plan, safe
from reconciler.render.apply_smoke import render_apply_smoke
from reconciler.runcomfy.client import RunComfyClient
from reconciler.smoke import progress as smoke_progress
from reconciler.smoke import runner
from reconciler.smoke.report import SmokeReport


class _ProgressHooks:
    """Prints one line per change to stderr as apply goes, secrets scrubbed."""

    def __init__(self, secrets: frozenset[str]) -> None:
        self.secrets = secrets

    def before_change(self, change: ResourceChange) -> None:
        name = safe.terminal(change.name)
        click.echo(scrub(f"{change.action.symbol:>3} {name}: {change.action.value} ...", self.secrets), err=True)

    def after_change(self, outcome: ChangeOutcome) -> None:
        detail = f": {safe.terminal(outcome.message)}" if outcome.message else ""
        click.echo(scrub(f"    {safe.terminal(outcome.name)}: {outcome.outcome.value}{detail}", self.secrets), err=True)


def _one_apply_at_a_time(func: Callable[..., int]) -> Callable[..., int]:
    """Hold ``.comfyops/apply.lock`` of the working copy (see "Concurrent runs") while ``func`` runs."""

    @functools.wraps(func)
    def locked(app: AppContext, *, lock_timeout: str, **options: Any) -> int:
        try:
            timeout = applylock.parse_duration(lock_timeout)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--lock-timeout") from None
        files, plan_file = options["files"], options["plan_file"]
        start = Path(files[0]) if files else plan_file if plan_file is not None else Path.cwd()
        root = applylock.working_copy_root(start if start.is_dir() else start.parent)
        with applylock.apply_lock(root, timeout=timeout, note=functools.partial(click.echo, err=True)):
            return func(app, **options)

    return locked


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
@click.option(
    "--lock-timeout",
    default="0s",
    show_default=True,
    metavar="DURATION",
    help="Wait this long (30s, 5m) for another apply in this working copy to release .comfyops/apply.lock.",
)
@summary_option
@click.pass_obj
@_one_apply_at_a_time
def command(
    app: AppContext,
    plan_file: Path | None,
    files: tuple[str, ...],
    targets: tuple[str, ...],
    allow_replace: bool,
    allow_empty: bool,
    show_unmanaged: bool,
    auto_approve: bool,
    fail_fast: bool,
    fmt: str,
    smoke: bool,
    rollback_on_smoke_failure: bool,
    summary: bool,
) -> int:
    """Apply the changes plan shows (or exactly a saved PLANFILE), then read them back.

    One apply at a time per working copy (.comfyops/apply.lock); see "Concurrent runs" in the README.
    """
    if rollback_on_smoke_failure and not smoke:
        raise click.UsageError("--rollback-on-smoke-failure needs --smoke")
    if plan_file is not None and targets:
        raise click.UsageError(
            "--target cannot be combined with a saved plan: it applies exactly what it shows "
            "(make a targeted plan with `plan --target NAME --out FILE`)"
        )
    color = use_color(no_color_flag=app.no_color)
    if plan_file is not None:
        planned = _saved(app, plan_file, files, allow_replace)
    else:
        desired = load_desired(files)
        refuse_broken_policies(desired)  # before the first side effect (the emulator's registrations)
        options = build.PlanOptions(targets=targets, allow_replace=allow_replace, allow_empty=allow_empty)
        planned = with_policy(make_plan(app, desired, options, read_only=False))
        text = scrub(render_plan(planned.plan, "text", color=color, show_unmanaged=show_unmanaged),
                     planned.desired.secret_values)
        click.echo(text, nl=False, err=fmt != "text")
        refuse_denied(planned.plan)
        if planned.plan.is_empty:
            publish(summary, _NO_CHANGES)
            return 0
        if not auto_approve:
            _confirm()
    if planned.plan.is_empty:
        click.echo("No changes to apply.", err=fmt != "text")
        publish(summary, _NO_CHANGES)
        return 0
    client = connect(app, planned.desired)
    report = apply.execute(
        planned.plan,
        client=client,
        secrets=secrets_of(planned.desired),
        hooks=_ProgressHooks(secret_strings(planned.desired)),
        fail_fast=fail_fast,
    )
    smoke_report = None
    if smoke and not report.interrupted:
        smoke_report = _smoke_changed(planned, report, client, app)
        if rollback_on_smoke_failure and not smoke_report.ok:
            failed = [r.name for r in smoke_report.results if r.status.is_problem]
            report = rollback.rollback(planned.plan, report, failed, client=client)
    report = report.model_copy(update={"environment": planned.plan.environment})
    shown = _named_once(report, smoke_report, plan_printed=plan_file is None and fmt == "text")
    if smoke_report is None:
        _print_report(shown[0], fmt, color, planned)
    else:
        combined = render_apply_smoke(
            *shown, fmt, color=color and fmt == "text", rollback_asked=rollback_on_smoke_failure
        )
        click.echo(scrub(combined, planned.desired.secret_values), nl=False)
    publish(summary, lambda: _summary_markdown(report, smoke_report, rollback_on_smoke_failure),
            planned.desired.secret_values)
    _notify(planned, report, smoke_report, files)
    if report.interrupted or (smoke_report is not None and smoke_report.interrupted):
        return 130
    return 1 if report.failed or (smoke_report is not None and not smoke_report.ok) else 0


def _named_once(report: ApplyReport, smoke_report: SmokeReport | None,
                *, plan_printed: bool) -> tuple[ApplyReport, SmokeReport]:
    """The reports to print: without their environment when the plan printed above already named it."""
    smoke = smoke_report if smoke_report is not None else SmokeReport(results=())
    if not plan_printed:
        return report, smoke
    return report.model_copy(update={"environment": None}), dataclasses.replace(smoke, environment=None)


def _notify(planned: Planned, report: ApplyReport, smoke_report: SmokeReport | None, files: tuple[str, ...]) -> None:
    """Send apply_failed / smoke_failed / rolled_back messages (Settings.notify); a failed send only warns."""
    from reconciler.session import notify, pause

    desired = planned.desired
    for warning in notify.notify_apply(
        desired.settings.notify, secret_strings(desired), pause.manifest_folder(files or tuple(desired.files)),
        environment=planned.plan.environment, report=report, smoke=smoke_report,
    ):
        click.echo(f"warning: {warning}", err=True)


_NO_CHANGES = "## ComfyOps apply\n\n**No changes.** Live deployments already match the manifests.\n"


def _summary_markdown(report: ApplyReport, smoke_report: SmokeReport | None, rollback_asked: bool) -> str:
    """The apply report (with the smoke report when there was one), for the job summary."""
    if smoke_report is None:
        return render_apply(report, "markdown")
    return render_apply_smoke(report, smoke_report, "markdown", rollback_asked=rollback_asked)


def _smoke_changed(planned: Planned, report: ApplyReport, client: RunComfyClient, app: AppContext) -> SmokeReport:
    """Smoke-test the declared deployments this apply created, updated or replaced."""
    touched = {o.name for o in report.changes if o.outcome is Outcome.APPLIED and o.action is not Action.DELETE}
    chosen = [d for d in planned.desired.deployments if d.name in touched and not d.is_absent]
    progress = smoke_progress.make_progress(sys.stderr, [d.name for d in chosen])
    smoke_report = runner.run_smoke(
        planned.desired, chosen, client=client, progress=progress, journal=journal(app, "smoke")
    )
    return dataclasses.replace(smoke_report, environment=planned.plan.environment)


def _saved(app: AppContext, plan_file: Path, files: tuple[str, ...], allow_replace: bool) -> Planned:
    plan = planfile.load(plan_file)
    planfile.check_environment(plan, plan_file, selected_environment())
    if allow_replace and not plan.allow_replace:
        plan = plan.model_copy(update={"allow_replace": True})
    refuse_denied(plan)
    desired = load_desired(files or tuple(plan.manifest_files), plan.environment)
    _refuse_elsewhere(app, plan, plan_file, desired, files)
    live = observe.observe(connect(app, desired, register_workflows=True))
    reasons = planfile.stale_reasons(plan, desired, live, app.endpoint)
    if reasons:
        raise ReconcilerError(
            f"plan is stale: {reasons[0]}" + (f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""),
            "\n".join([*reasons[1:], f"re-run `{_replan(app, plan, files)}` and review the new plan"]),
        )
    return Planned(plan=plan, desired=desired, live=live)


def _refuse_elsewhere(app: AppContext, plan: Plan, plan_file: Path, desired: DesiredState,
                      files: tuple[str, ...]) -> None:
    """Refuse, before any call, a plan made against another API (the emulator, another URL)."""
    environment = desired.environment
    where = app.endpoint_for(api_url=environment.api_url if environment is not None else None,
                             environment=desired.environment_name, manifests=desired.files)
    reason = planfile.elsewhere(plan, where)
    if reason:
        emulated = plan.endpoint.startswith("emulator")
        raise ReconcilerError(
            f"plan is stale: {reason}; nothing was called",
            "it was made against the emulator: "
            + Invocation(global_args=("--emulator",)).command("apply", str(plan_file), options=()) if emulated
            else f"re-run `{_replan(app, plan, files)}` against this API and review the new plan",
        )


def _replan(app: AppContext, plan: Plan, files: tuple[str, ...]) -> str:
    """The plan command that remakes a stale saved ``plan`` (its manifests, its environment, this API)."""
    base = invocation(app).with_manifests(files or tuple(plan.manifest_files), plan.environment)
    return followup("plan", "--out", "FILE", base=base)


PROMPT = "Apply these changes? Only 'yes' will be accepted"


def _confirm() -> None:
    """Ask on the terminal; without one, read a typed answer piped on stdin (``echo yes | comfyops apply``)."""
    if sys.stdin is None or not sys.stdin.isatty():
        line = _piped_line(sys.stdin)
        if not line:
            raise ReconcilerError(
                "refusing to apply without confirmation: there is no terminal to ask on",
                "review the plan above and re-run with --auto-approve, pipe the answer "
                f"(echo yes | {followup('apply')}), or apply a saved plan file",
            )
        answer = line.strip()
        click.echo(f"{PROMPT}: {answer} (read from standard input)", err=True)
    else:
        answer = click.prompt(PROMPT, default="", show_default=False, err=True)
    if answer.strip() != "yes":
        raise ReconcilerError("apply cancelled: nothing was changed")


PIPED_ANSWER_WAIT_SECONDS = 10.0


def _piped_line(stream: TextIO | None) -> str:
    """The first line piped on ``stream``; '' when there is none (EOF, or nothing arrives, so CI never hangs)."""
    if stream is None:
        return ""
    try:
        fileno = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return stream.readline()  # an in-memory stream: never blocks
    try:
        import select

        ready, _, _ = select.select([fileno], [], [], PIPED_ANSWER_WAIT_SECONDS)
    except (OSError, ValueError):  # select() on this kind of file is not supported (e.g. Windows)
        ready = [fileno]
    return stream.readline() if ready else ""


def _print_report(report: ApplyReport, fmt: str, color: bool, planned: Planned) -> None:
    text = scrub(render_apply(report, fmt, color=color and fmt == "text"), planned.desired.secret_values)
    click.echo(text, nl=not text.endswith("\n"))
